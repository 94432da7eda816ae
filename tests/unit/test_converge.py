"""Every `up` converges as compose does: the decision (converge.decide), its reasons, and launch.up acting on it."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Sequence

from tests.unit.fake_engine import FakeEngine, container, healthy, spec
from tests.unit.test_launch import run_up, stack  # noqa: F401 (stack: the fixture)
from wizard.core.docker.confighash import Wanted
from wizard.core.lifecycle.converge import changed_keys, config_reasons, decide, volumes_held
from wizard.core.lifecycle.upchanges import dry_run
from wizard.core.support.events import Finished, RecreatingData, ServiceChange, WaveStarted
from wizard.frontends.changes import change_words


def labelled(service: str, config_hash: str = "h1", image_label: str = "", **options):
    return replace(healthy(service), config_hash=config_hash, image_label=image_label, **options)


def actions(found) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {change.service: (change.action, change.reasons) for change in found}


def test_compose_rules_decide_each_service():
    specs = [spec("db", "db", image="pg"), spec("app", "app", restart_deps=("db",)),
             spec("web", "app", replicas=2), spec("job", "app", oneshot=True, healthcheck=False),
             spec("new", "app"), spec("off", "app", replicas=0), spec("gone", "app", replicas=0)]
    containers = [labelled("db", "old", image_label="sha256:pg1"), labelled("app"), labelled("web"),
                  replace(container("job", "exited", exit_code=3), config_hash="h1"), labelled("gone")]
    wanted = Wanted({name: "h1" for name in ("db", "app", "web", "job", "new", "off", "gone")})
    found = decide(specs, containers, wanted=wanted, image_ids={"pg": "sha256:pg1"},
                   config_reasons=lambda name: ("environment.FOO",) if name == "db" else ())
    assert actions(found) == {
        "db": ("recreate", ("environment.FOO",)),
        "app": ("restart", ("db is recreated",)),  # depends_on: {db: {restart: true}}
        "web": ("scale", ("deploy.replicas 1 -> 2",)),
        "job": ("start", ("exited",)),
        "new": ("create", ()),
        "off": ("nothing", ()),
        "gone": ("scale", ("deploy.replicas 1 -> 0",)),
    }


def test_a_new_image_under_the_same_name_recreates_and_a_matching_stack_is_left_alone():
    specs = [spec("db", "db", image="pg"), spec("app", "app", image="app")]
    containers = [labelled("db", image_label="sha256:pg1"), labelled("app", image_label="sha256:app1")]
    wanted = Wanted({"db": "h1", "app": "h1"})
    same = decide(specs, containers, wanted=wanted, image_ids={"pg": "sha256:pg1", "app": "sha256:app1"})
    assert [change.action for change in same] == ["nothing", "nothing"]
    moved = decide(specs, containers, wanted=wanted, image_ids={"pg": "sha256:pg2", "app": "sha256:app1"})
    assert actions(moved)["db"] == ("recreate", ("image",))
    # An image not here yet (to be pulled) has no id to compare with: compose compares after the pull.
    assert decide(specs, containers, wanted=wanted, image_ids={})[0].action == "nothing"


def test_a_hash_that_differs_without_a_record_is_still_a_recreate():
    found = decide([spec("db", "db")], [labelled("db", "old")], wanted=Wanted({"db": "new"}), image_ids={})
    assert actions(found) == {"db": ("recreate", ("config",))}


def test_an_engine_that_does_not_converge_only_creates_and_starts():
    specs = [spec("db", "db"), spec("app", "app", replicas=3)]
    found = decide(specs, [labelled("db", "old"), labelled("app")], wanted=None, image_ids={})
    assert [change.action for change in found] == ["nothing", "nothing"]


def test_changed_keys_name_keys_never_values():
    before = {"environment": {"FOO": "secret-one", "KEEP": "x"}, "image": "pg:15", "command": ["a"],
              "deploy": {"replicas": 1}, "depends_on": {"db": {}}}
    after = {"environment": {"FOO": "secret-two", "KEEP": "x", "EMPTY": ""}, "image": "pg:17", "command": ["a"],
             "deploy": {"replicas": 2}, "depends_on": {}}
    keys = changed_keys(before, after)
    # deploy.replicas is a scale and depends_on is not in compose's hash: neither is a recreate reason.
    assert keys == ("environment.EMPTY", "environment.FOO", "image")
    assert not any("secret" in key for key in keys)
    # Compose fills `deploy: {resources: {}, ...}` in once a deploy is written: named by its own key.
    assert changed_keys({}, {"deploy": {"replicas": 2, "resources": {}, "placement": {}}}) == ("deploy",)


def test_reasons_ask_for_the_resolved_config_once_and_only_when_asked():
    calls = []

    def resolved():
        calls.append(1)
        return {"services": {"db": {"environment": {"A": "2"}}}}

    reasons = config_reasons({"db": {"environment": {"A": "1"}}}, resolved)
    assert calls == []
    assert reasons("db") == ("environment.A",)
    assert reasons("db") == ("environment.A",)
    assert reasons("never-recorded") == ()
    assert calls == [1]


def test_named_volumes_are_named_and_anonymous_ones_left_out():
    db = labelled("db", volumes=(("/var/lib/postgresql/data", "demo_pgdata"), ("/tmp/x", "a" * 64)))
    assert volumes_held([db, labelled("app")], ["db", "app"]) == {"db": ("demo_pgdata",)}


def test_change_words_say_the_action_and_why():
    def words(action, reasons=(), replicas=1, wanted=1):
        return change_words(ServiceChange(group="g", service="app", action=action, reasons=reasons,
                                          replicas=replicas, wanted=wanted))

    assert words("recreate", ("environment.FOO", "image")) == "app: recreate (environment.FOO, image changed)"
    assert words("scale", ("deploy.replicas 1 -> 2",), 1, 2) == "app: scale 1 -> 2"
    assert words("rebuild", ("build.args.GREETING",)) == "app: rebuild its image (build.args.GREETING changed)"
    assert words("start", ("exited",)) == "app: start (it is exited)"
    assert words("restart", ("db is recreated",)) == "app: restart (db is recreated)"
    assert words("create", (), 0, 2) == "app: create 2 containers"
    assert words("nothing") == "app: nothing to do"


class ConvergingEngine(FakeEngine):
    """The fake, plus compose's hashes: each container carries the hash its service had when it was started."""

    def __init__(self, *args, hashes: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hashes = dict(hashes)
        self.made_with = {service: "h1" for service in self.current}
        self.stopped: list[list[str]] = []

    def wanted(self) -> Wanted:
        self.asked = getattr(self, "asked", 0) + 1
        return Wanted(dict(self.hashes))

    def stop(self, services: Sequence[str]) -> None:
        self.stopped.append(list(services))
        for service in services:
            self.current[service] = replace(self.current[service], state="exited", health="", exit_code=0,
                                            status="Exited (0)")

    def start(self, services: Sequence[str], pull: str = "missing"):
        for service in services:  # compose (re)creates it from the files as they are now
            self.made_with[service] = self.hashes.get(service, "h1")
        return super().start(services, pull)

    def containers(self):
        listed = super().containers()
        self.listed = [replace(c, config_hash=self.made_with.get(c.service, "")) for c in listed]
        return self.listed


def converging_specs():
    return [spec("postgres", "db"), spec("redis", "cache"), spec("web", "app", restart_deps=("redis",))]


def test_up_hands_what_differs_to_compose_in_plan_order_and_leaves_the_rest(stack):
    running = [healthy("postgres"), healthy("redis"), healthy("web")]
    engine = ConvergingEngine(converging_specs(), running=running,
                              hashes={"postgres": "h1", "redis": "h2", "web": "h1"})
    events, error = run_up(stack, engine)
    assert error is None, error
    # redis' config changed: compose recreates it; web says `restart: true` for redis: stopped first,
    # started again in its wave; postgres is left alone.
    assert engine.stopped == [["web"]]
    assert engine.started == [["redis"], ["web"]]
    changes = [(e.service, e.action) for e in events if isinstance(e, ServiceChange)]
    assert changes == [("redis", "recreate"), ("web", "restart")]
    first_wave = next(i for i, e in enumerate(events) if isinstance(e, WaveStarted))
    assert all(i < first_wave for i, e in enumerate(events) if isinstance(e, ServiceChange))
    assert events[-1].details["started"] == ["redis", "web"]


def test_a_no_op_up_on_a_converged_stack_starts_nothing(stack):
    running = [healthy("postgres"), healthy("redis"), healthy("web")]
    engine = ConvergingEngine(converging_specs(), running=running, hashes={"postgres": "h1", "redis": "h1",
                                                                           "web": "h1"})
    events, error = run_up(stack, engine)
    assert error is None
    assert engine.started == [] and engine.stopped == []
    assert not any(isinstance(e, (ServiceChange, RecreatingData)) for e in events)
    assert engine.list_calls == 1


def test_dry_run_says_every_service_and_changes_nothing(stack):
    running = [healthy("postgres"), healthy("redis")]
    engine = ConvergingEngine(converging_specs(), running=running, hashes={"postgres": "h1", "redis": "h2",
                                                                           "web": "h1"})
    events = list(dry_run(stack, engine=engine))
    changes = [(e.service, e.action) for e in events if isinstance(e, ServiceChange)]
    assert changes == [("postgres", "nothing"), ("redis", "recreate"), ("web", "create")]
    assert engine.started == [] and engine.stopped == [] and engine.restarted == []
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.details["dry_run"] is True
    assert [c["action"] for c in finished.details["changes"]] == ["nothing", "recreate", "create"]


def test_shell_variables_the_files_name_are_in_the_key(monkeypatch):
    from wizard.core.docker.confighash import shell_overrides

    monkeypatch.setenv("CV_NAMED", "one")
    monkeypatch.setenv("CV_UNNAMED", "x")
    before = shell_overrides(["image: ${CV_NAMED}"])
    monkeypatch.setenv("CV_UNNAMED", "y")
    assert shell_overrides(["image: ${CV_NAMED}"]) == before
    monkeypatch.setenv("CV_NAMED", "two")
    assert shell_overrides(["image: ${CV_NAMED}"]) != before
    assert os.environ["CV_NAMED"] == "two"


def test_the_hash_key_follows_content_even_when_size_and_time_stay(tmp_path, monkeypatch):
    """An env file edited to a value of the same length, its time put back: the key still moves."""
    from types import SimpleNamespace

    from wizard.core.docker.composecli import ComposeCLI
    from wizard.core.docker.confighash import inputs_key
    from wizard.core.docker.model import ComposeModel

    env = tmp_path / ".env"
    env.write_text("GREETING=aaa\n")
    app_env = tmp_path / "env" / "app-blue.env"
    app_env.parent.mkdir()
    app_env.write_text("TOKEN=one\n")
    compose_file = tmp_path / "app.yml"
    compose_file.write_text("services: {}\n")
    engine = SimpleNamespace(stack=SimpleNamespace(compose_env_file=env, root=tmp_path),
                             compose_files=lambda: [compose_file], project="demo", profiles=(),
                             compose=ComposeCLI(("docker", "compose"), "2.40.3"))
    # A `${...}` in an env_file path: every file it may name is in the key.
    model = ComposeModel((spec("app", "app", env_files=(str(tmp_path / "env" / "app-${COLOUR}.env"),)),))
    before = inputs_key(engine, model)
    for path, text in ((env, "GREETING=bbb\n"), (app_env, "TOKEN=two\n")):
        stat = path.stat()
        path.write_text(text)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        after = inputs_key(engine, model)
        assert after != before, path
        before = after


def test_pull_policy_build_rebuilds_when_its_inputs_moved(tmp_path, monkeypatch):
    from wizard.core.docker.imagestore import LocalImage
    from wizard.core.images import buildinputs
    from wizard.core.images.inventory import NeededImage

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    context = tmp_path / "build"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM busybox\n")
    tool = spec("tool", "app", image="tool:1", build=True, pull_policy="build", build_context=str(context))

    def needed(image_id: str) -> list[NeededImage]:
        local = LocalImage(id=image_id, tags=("tool:1",), digests=(), size=1)
        return [NeededImage("tool:1", ("tool",), ("app",), build=True, pull_policy="build", local=local)]

    assert buildinputs.stale(tmp_path, needed("sha256:a"), [tool], {"tool": "s1"}) == {
        "tool:1": ("never built by the launcher",)}
    buildinputs.remember(tmp_path, needed("sha256:a")[0:1], [tool], {"tool": "s1"}, {"tool:1": "sha256:a"})
    assert buildinputs.stale(tmp_path, needed("sha256:a"), [tool], {"tool": "s1"}) == {}
    assert buildinputs.stale(tmp_path, needed("sha256:a"), [tool], {"tool": "s2"}) == {"tool:1": ("build",)}
    assert buildinputs.stale(tmp_path, needed("sha256:b"), [tool], {"tool": "s1"}) == {
        "tool:1": ("the image here is not the one last built",)}
    (context / "app.py").write_text("print('new')\n")
    assert buildinputs.stale(tmp_path, needed("sha256:a"), [tool], {"tool": "s1"}) == {
        "tool:1": ("build context",)}
    # Without `pull_policy: build` an image is built only when missing, as compose does.
    plain = [replace(needed("sha256:a")[0], pull_policy="")]
    assert buildinputs.stale(tmp_path, plain, [tool], {"tool": "s9"}) == {}


def test_compose_refusing_to_hash_is_said_and_not_kept(tmp_path, monkeypatch):
    """`up` goes on (comparing no hash) rather than failing on our round trip; the next `up` asks again."""
    from types import SimpleNamespace

    from wizard.core.docker.composecli import ComposeCLI
    from wizard.core.docker.confighash import wanted
    from wizard.core.docker.model import ComposeModel

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / ".env").write_text("A=1\n")
    answers = iter(["echo 'service \"x\" refuses' >&2; exit 15", "echo 'db 0123abc'"])
    engine = SimpleNamespace(
        stack=SimpleNamespace(compose_env_file=tmp_path / ".env", root=tmp_path), compose_files=lambda: [],
        project="demo", profiles=(), compose=ComposeCLI(("docker", "compose"), "2.40.3"),
        compose_command=lambda *args, files=None: ["sh", "-c", next(answers)],
        resolved_config=lambda: {"services": {"db": {"image": "pg", "depends_on": {"x": {"required": False}}}}})
    model = ComposeModel((spec("db", "db"),))
    refused = wanted(engine, model)
    assert refused.problem == 'service "x" refuses' and dict(refused.hashes) == {}
    assert dict(wanted(engine, model).hashes) == {"db": "0123abc"}
    assert dict(wanted(engine, model).hashes) == {"db": "0123abc"}  # from the cache: `answers` is used up


def test_a_cold_start_asks_compose_for_no_hash(stack):
    engine = ConvergingEngine(converging_specs(), hashes={"postgres": "h1", "redis": "h1", "web": "h1"})
    events, error = run_up(stack, engine)
    assert error is None
    assert getattr(engine, "asked", 0) == 0
    assert [(e.service, e.action) for e in events if isinstance(e, ServiceChange)] == [
        ("postgres", "create"), ("redis", "create"), ("web", "create")]


def test_the_tui_up_screen_shows_the_changes_as_lines():
    from types import SimpleNamespace

    from wizard.tui.screens.up import UpScreen

    lines: list[str] = []
    show = UpScreen.__dict__["show_event"].__get__(SimpleNamespace(log_line=lines.append), UpScreen)
    show(ServiceChange(group="g", service="app", action="recreate", reasons=("environment.FOO",), replicas=1,
                       wanted=1))
    show(RecreatingData(service="db", volumes=("demo_pgdata",)))
    assert lines[0] == "app: recreate (environment.FOO changed)"
    assert "demo_pgdata" in lines[1] and "`launcher upgrade`" in lines[1]
