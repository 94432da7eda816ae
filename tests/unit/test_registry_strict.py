"""The instance registry is read by one strict reader, and what `gc`, `ls` and `down --all` do
with it is decided by the engine (an in-memory one here: tests/unit/fake_docker_sdk.py; the real
engine in tests/integration/test_gc_engine_decides.py)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from tests.integration.engine_stack import FIXTURE
from tests.unit.fake_docker_sdk import FakeSdk
from wizard.cli import main
from wizard.core.lifecycle import instances as lifecycle
from wizard.core.support import registry
from wizard.core.support.errors import ConfigError
from wizard.core.support.events import Finished, Note

GOOD_ENTRY = {"name": "shop", "stack": "shop", "folder": "/srv/shop", "offset": 100, "ports": {"PG_PORT": 15532},
              "last_up": "2026-12-01T09:30Z"}


def document(**entry_changes) -> dict:
    return {"format": 1, "instances": {"shop": {**GOOD_ENTRY, **entry_changes}}}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def write_registry(text: str | bytes) -> Path:
    path = registry.registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.fixture
def engine(monkeypatch) -> FakeSdk:
    fake = FakeSdk()
    monkeypatch.setattr(lifecycle, "sdk_client", lambda: fake)
    monkeypatch.setenv("CI", "1")  # never ask: a question is declined
    return fake


def test_what_the_launcher_writes_reads_back_and_a_good_file_parses():
    assert registry.parse(json.dumps(document()).encode(), Path("r.json")) == {
        "shop": registry.Instance("shop", "shop", "/srv/shop", 100, {"PG_PORT": 15532}, "2026-12-01T09:30Z")}
    with registry.changing("test") as instances:
        instances["a-b_1"] = registry.Instance("a-b_1", "s", "/x", 0, {}, "")
    assert registry.read() == {"a-b_1": registry.Instance("a-b_1", "s", "/x")}


@pytest.mark.parametrize(("text", "words"), [
    (json.dumps(document(last_up=None)), "instance 'shop': 'last_up' is null, expected text"),
    (json.dumps(document(last_up="yesterday")), "'last_up' is not a time"),
    (json.dumps(document(offset="100")), "'offset' is text"),
    (json.dumps(document(offset=True)), "'offset' is true/false"),
    (json.dumps(document(offset=-100)), "'offset' is a number, expected a whole number 0-65535"),
    (json.dumps(document(ports=[15532])), "'ports' is not an object"),
    (json.dumps(document(ports={"PG_PORT": 70000})), "'ports' is not an object"),
    (json.dumps(document(ports={"PG_PORT": 1.5})), "'ports' is not an object"),
    (json.dumps(document(folder="relative/shop")), "not an absolute path"),
    (json.dumps(document(folder=None)), "'folder' is null"),
    (json.dumps(document(name="other")), "'name' is 'other'"),
    (json.dumps(document(extra=1)), "unknown key(s) 'extra'"),
    (json.dumps({"format": 1, "instances": {"shop": {"name": "shop", "stack": "s", "folder": "/x"}}}),
     "lacks 'last_up', 'offset', 'ports'"),
    (json.dumps({"format": 1, "instances": {"../x": {**GOOD_ENTRY, "name": "../x"}}}), "not a valid instance name"),
    (json.dumps({"format": 1, "instances": {"shop": None}}), "instance 'shop' is null, expected an object"),
    (json.dumps({"format": 1, "instances": []}), "'instances' is a list"),
    (json.dumps({"format": 2, "instances": {}}), "format 2, but this launcher reads format 1"),
    (json.dumps({"instances": {}}), "the top level lacks 'format'"),
    ("[]", "the top level is a list"),
    ("null", "the top level is null"),
    ("", "not JSON"),
    ('{"format": 1,\n "instances": {', "not JSON"),
    ('{"format": 1, "format": 1, "instances": {}}', "the key 'format' is repeated"),
    ('{"format": NaN, "instances": {}}', "NaN is not JSON"),
    (b'{"format": 1, "instances": {"\xff": 1}}', "not UTF-8 text"),
    ("[" * 100_000, "nested too deeply"),
])
def test_a_registry_of_the_wrong_shape_is_refused_in_one_line_naming_the_file(text, words, engine, tmp_path):
    path = write_registry(text)
    with pytest.raises(ConfigError) as refused:
        registry.read()
    assert words in refused.value.one_line() and str(path) in refused.value.one_line()
    # Every command that reads it: exit 3 and one line, never 1 (last_up null made `ls` and `gc` exit 1).
    for argv in (["ls"], ["ls", "--json"], ["gc", "--volumes", "--yes"], ["down", "--all", "--yes"]):
        code, _, err = run(*argv)
        assert (code, err.count("\n")) == (3, 1), (argv, code, err)
        assert str(path) in err and "delete that file" in err
    assert engine.actions == []
    assert path.read_bytes() == (text if isinstance(text, bytes) else text.encode())  # left for the user to see


def test_a_broken_line_is_named_by_its_number():
    path = write_registry('{"format": 1,\n "instances": {,}}')
    with pytest.raises(ConfigError) as refused:
        registry.read()
    assert refused.value.where == f"{path}:2"


def checkout(tmp_path: Path, name: str) -> Path:
    """An initialised checkout of the engine test stack (no engine needed for init)."""
    root = tmp_path / name
    shutil.copytree(FIXTURE, root)
    code, _, err = run("init", "--non-interactive", "--stack", str(root / "stack.toml"))
    assert code == 0, err
    return root


def test_init_and_ls_in_a_moved_checkout_move_its_entry_a_copy_takes_nothing(tmp_path, engine, monkeypatch):
    first = checkout(tmp_path, "first")
    blocker = checkout(tmp_path, "blocker")  # holds the default ports: a moved entry must keep its own block
    name = (blocker / ".launcher" / "instance").read_text().strip()
    offset = registry.read()[name].offset
    assert offset and registry.read()["enginestack"].folder == str(first)
    moved = tmp_path / "moved"
    blocker.rename(moved)
    code, _, err = run("init", "--non-interactive", "--stack", str(moved / "stack.toml"))
    assert code == 0, err
    assert (registry.read()[name].folder, registry.read()[name].offset) == (str(moved), offset)
    again = tmp_path / "again"
    moved.rename(again)
    monkeypatch.chdir(again)
    code, out, err = run("ls", "--json")
    assert code == 0, err
    assert registry.read()[name].folder == str(again)
    # A copy (the old folder still its checkout) moves nothing, wherever it runs.
    copy = tmp_path / "copy"
    shutil.copytree(again, copy)
    monkeypatch.chdir(copy)
    assert run("ls")[0] == 0
    assert registry.read()[name].folder == str(again)


def stale_instance(tmp_path: Path, engine: FakeSdk, name: str, *, status: str = "exited") -> None:
    engine.add_instance(name, status=status)
    with registry.changing("test") as instances:
        instances[name] = registry.Instance(name, "shop", str(tmp_path / "gone" / name))


def test_an_instance_whose_folder_is_gone_is_stale_only_when_nothing_of_it_runs(tmp_path, engine):
    stale_instance(tmp_path, engine, "moved", status="running")
    stale_instance(tmp_path, engine, "left", status="exited")
    found = {row.name: row for row in lifecycle.rows(engine)}
    assert (found["moved"].state, found["moved"].folder_ok, found["moved"].stale) == ("running", False, False)
    assert (found["left"].state, found["left"].stale) == ("folder gone", True)
    code, out, _ = run("gc", "--volumes", "--yes")
    assert code == 0
    assert "moved: kept, it runs though its folder" in out
    assert not [action for action in engine.actions if "moved" in action]
    assert sorted(engine.actions) == ["remove container left-db-1", "remove network left_default",
                                      "remove volume left_data0"]
    assert sorted(registry.read()) == ["moved"]


def test_gc_asks_naming_what_each_stale_instance_holds(tmp_path, engine):
    stale_instance(tmp_path, engine, "left")
    code, out, err = run("gc", "--volumes")
    assert code == 11 and "left" in err and engine.actions == []
    assert "holds 1 container(s), 1 network(s), 1 volume(s) (1.0 kB)" in out
    assert "left-db-1" in out and "left_data0" in out and "left_default" in out


def test_gc_leaves_an_instance_that_started_after_the_question_and_a_volume_another_container_uses(
        tmp_path, engine):
    stale_instance(tmp_path, engine, "started")
    stale_instance(tmp_path, engine, "shared")
    doomed = [row for row in lifecycle.rows(engine) if row.stale]
    assert sorted(row.name for row in doomed) == ["shared", "started"]
    engine.things[[t.name for t in engine.things].index("started-db-1")].status = "running"
    engine.add_instance("neighbour", volumes=0)
    engine.things[-1].mounts += ("shared_data0",)  # another project's container uses shared's volume
    events = list(lifecycle.gc(doomed, engine, volumes=True))
    notes = [event.message for event in events if isinstance(event, Note)]
    assert "started: kept, it runs now" in notes
    assert any("shared_data0 (used by neighbour-db-1)" in note for note in notes)
    assert sorted(engine.actions) == ["remove container shared-db-1", "remove network shared_default"]
    assert isinstance(events[-1], Finished)
    assert sorted(registry.read()) == ["shared", "started"]  # something of each is left: both stay known


def test_down_all_names_what_it_acts_on_and_only_stops_an_instance_whose_folder_is_wrong(tmp_path, engine):
    stale_instance(tmp_path, engine, "moved", status="running")
    stale_instance(tmp_path, engine, "left")  # nothing of it runs: nothing for `down` to do
    code, _, err = run("down", "--all")
    assert code == 11 and "stop 1 instance(s)" in err and "moved (folder not its checkout: stopped only)" in err
    assert engine.actions == []
    code, out, err = run("down", "--all", "--yes", "--volumes")
    assert code == 0, err
    assert engine.actions == ["stop moved-db-1"]
    assert "nothing was deleted" in out


def test_up_with_a_damaged_registry_refuses_before_it_starts_anything(tmp_path, engine, monkeypatch):
    root = checkout(tmp_path, "stack")
    path = write_registry(json.dumps(document(last_up=None)))
    monkeypatch.setattr("wizard.core.lifecycle.launch.up", lambda *a, **k: pytest.fail("up started"))
    code, _, err = run("up", "--non-interactive", "--stack", str(root / "stack.toml"))
    assert (code, err.count("\n")) == (3, 1) and str(path) in err, err
