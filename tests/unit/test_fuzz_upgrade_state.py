"""Bounded, seeded fuzzers over the files `launcher upgrade` and `up` read back (issue 31, items 2 and 8).

Each round writes one mutation of a file the launcher wrote (a field retyped, dropped or
added, a hostile volume name, the text cut short, a stray byte, YAML instead of JSON) and
reads it through the one strict reader of its kind, then through what acts on it:
- the upgrade journal: `read_journal`, `launcher up` in process (exit 3 for a wrong one,
  8 for a right one: both before any engine call), and `roll_back` against a scripted
  engine that holds this run's new volume next to the stack's live volume, another
  project's, an unlabelled one and a look-alike with a forged "from" label;
- the switch file: `read_switch`, and `upgrade --finish`'s choice of old volumes on that
  scripted engine;
- the last-up record: `read_record`, `set_aside_bad_record`, and `record_up` after it.
Whatever the mutation: no exit 1 and no exception but the launcher's own one-line errors;
nothing deleted but this run's new volume (by a rollback) and an old volume an upgrade of
this stack kept (by --finish); nothing started with a mount the compose model lacks.

LAUNCHER_FUZZ_ROUNDS (default 1,000 per file kind) and LAUNCHER_FUZZ_SEED as in test_fuzz_init.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import REPO
from wizard.cli import main
from wizard.core.docker.upgradestate import UPGRADE_JOURNAL, UPGRADE_OVERRIDE, read_journal, read_switch
from wizard.core.docker.uprecord import RECORD, SET_ASIDE, read_record, record_up, set_aside_bad_record
from wizard.core.support.errors import LauncherError
from wizard.core.upgrade import evidence, rollback, switch
from wizard.exitcodes import ExitCode

ROUNDS = int(os.environ.get("LAUNCHER_FUZZ_ROUNDS", "1000"))
SEED = int(os.environ.get("LAUNCHER_FUZZ_SEED", "20261207"))
PROJECT = "fuzzstack"
UPGRADE_ID = "ab" * 16
UP_EVERY = 4
LIVE, NEW, OTHER, STRAY, FORGED = (f"{PROJECT}_pgdata", f"{PROJECT}_pgdata-pg17", "elsewhere_data", "stray",
                                   f"{PROJECT}_forged")
MODEL = {"name": PROJECT,
         "services": {"postgres": {"image": "postgres:17", "volumes": [
             {"type": "volume", "source": "pgdata", "target": "/var/lib/postgresql/data", "volume": {}}]}},
         "volumes": {"pgdata": {"name": LIVE}}}
HOSTILE = [None, "", "x", 0, -1, 1.5, True, [], {}, [None], {"x": None}, "../../etc", "/", "a" * 300, "\u2028",
           "\x00", LIVE, NEW, OTHER, STRAY, FORGED, [LIVE, OTHER, STRAY, FORGED], "switched", "copy",
           {"type": "bind", "source": "/", "target": "/var/lib/postgresql/data"},
           [{"type": "bind", "source": "/etc", "target": "/host"}], {"name": OTHER, "external": True},
           {"pgdata": {"name": OTHER, "external": True}}, {"privileged": True}, ["postgres", "../x"], "ab" * 16]


@dataclass
class Volume:
    name: str
    labels: dict
    client: "Client"

    @property
    def attrs(self) -> dict:
        return {"Labels": self.labels}

    def remove(self, force: bool = False) -> None:
        self.client.removed.append(self.name)
        self.client.volumes_by_name.pop(self.name)


@dataclass
class Client:
    """A docker SDK client as far as rollback and --finish use it, holding the volumes below."""

    volumes_by_name: dict = field(default_factory=dict)
    removed: list = field(default_factory=list)

    def __post_init__(self) -> None:
        project = {"com.docker.compose.project": PROJECT}
        for name, labels in {LIVE: project, NEW: {**project, evidence.FROM_LABEL: LIVE,
                                                  evidence.UPGRADE_ID_LABEL: UPGRADE_ID},
                             OTHER: {"com.docker.compose.project": "elsewhere"}, STRAY: {},
                             FORGED: {**project, evidence.FROM_LABEL: LIVE}}.items():
            self.volumes_by_name[name] = Volume(name, labels, self)
        self.volumes = SimpleNamespace(list=self._list_volumes, get=lambda name: self.volumes_by_name[name])
        self.containers = SimpleNamespace(list=self._list_containers)
        image = SimpleNamespace(id="sha256:old", tags=[], tag=lambda *a: None)
        self.images = SimpleNamespace(get=lambda ref: image, list=lambda filters=None: [], remove=lambda *a, **k: None)

    def _list_volumes(self, filters=None):
        return [volume for name, volume in self.volumes_by_name.items() if filters["name"] in name]

    def _list_containers(self, all=False, filters=None, sparse=False):
        # The stack's postgres runs on the live volume; nothing else runs.
        if (filters or {}).get("volume") == LIVE:
            return [SimpleNamespace(id="c1", attrs={"Names": ["/postgres"], "Mounts": [{"Name": LIVE}]})]
        return []


class Engine:
    def __init__(self, root: Path) -> None:
        self.stack = SimpleNamespace(root=root)
        self.client = Client()
        self.project = PROJECT
        self.started: list[dict] = []

    def compose_files(self) -> list[Path]:
        return []

    def run_compose(self, *args, files=(), check=True):
        if args[0] == "config":
            return SimpleNamespace(stdout=json.dumps(MODEL), returncode=0)
        self.started.append(json.loads(Path(files[-1]).read_text()))
        return SimpleNamespace(stdout="", stderr="", returncode=0)


def valid_journal() -> dict:
    previous = copy.deepcopy(MODEL)
    previous["services"]["postgres"] = {**previous["services"]["postgres"], "image": "postgres:15"}
    return {"phase": "switched", "upgrade_id": UPGRADE_ID, "new_volumes": [NEW], "services": ["postgres"],
            "snapshot": "", "override_before": None, "previous": {"standalone": True, "document": previous}}


def mutate_document(rng: random.Random, document) -> tuple[str, object]:
    """One change somewhere in a JSON document: a value replaced, a key dropped or added."""
    document = copy.deepcopy(document)
    paths = list(_paths(document))
    path = rng.choice(paths)
    parent, key = _parent(document, path)
    how = rng.randrange(3)
    if parent is None:
        return "the whole document replaced", rng.choice(HOSTILE)
    if how == 0 or not isinstance(parent, dict):
        value = rng.choice(HOSTILE)
        parent[key] = value
        return f"{'/'.join(map(str, path))} = {value!r:.60}", document
    if how == 1:
        del parent[key]
        return f"{'/'.join(map(str, path))} dropped", document
    parent[rng.choice(["extra", "volumes", "privileged", "new_volumes", "name"])] = rng.choice(HOSTILE)
    return f"a key added beside {'/'.join(map(str, path))}", document


def _paths(node, path=()):
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield from _paths(child, (*path, key))


def _parent(document, path):
    if not path:
        return None, None
    node = document
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


def mutated_text(rng: random.Random, document) -> tuple[str, bytes]:
    """The document as the launcher writes it, then changed as JSON or as text."""
    if rng.random() < 0.7:
        what, changed = mutate_document(rng, document)
        return what, json.dumps(changed).encode()
    data = json.dumps(document).encode()
    choice = rng.randrange(4)
    if choice == 0:
        cut = rng.randrange(len(data))
        return f"cut at {cut}", data[:cut]
    if choice == 1:
        at = rng.randrange(len(data))
        return f"byte at {at}", data[:at] + bytes([rng.choice([0xFF, 0xC3, 0x00, 0x22, 0x7D])]) + data[at:]
    if choice == 2:
        return "YAML, not JSON", b"volumes:\n  pgdata:\n    name: elsewhere_data\n    external: true\n"
    return "deeply nested", b"[" * 100000 + b"]" * 100000


def outcome(call):
    """The call's result, or the launcher's own error (exit 3 for a file that guards data); anything else fails."""
    try:
        return call(), None
    except LauncherError as error:
        assert error.exit_code != ExitCode.ERROR and "\n" not in error.one_line(), error.one_line()
        return None, error


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Path:
    """The bundled stack, initialised once: `up` reads the journal before anything else."""
    root = tmp_path_factory.mktemp("fuzzstate") / "stack"
    root.mkdir()
    shutil.copy(REPO / "stack.toml", root / "stack.toml")
    for folder in ("compose", "envtemplates"):
        shutil.copytree(REPO / folder, root / folder)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["init", "--non-interactive", "--stack", str(root / "stack.toml")]) == 0
    return root


def run_launcher(root: Path, *argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main([*argv, "--stack", str(root / "stack.toml")])
    return code, err.getvalue()


def test_upgrade_journals_refuse_in_one_line_and_delete_only_their_own_volume(stack, monkeypatch):
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # no engine call may be needed
    rng = random.Random(SEED)
    path = stack / UPGRADE_JOURNAL
    outcomes: dict[str, int] = {}
    for round_number in range(ROUNDS):
        what, data = mutated_text(rng, valid_journal())
        replay = f"seed {SEED}, round {round_number}: {what}"
        path.write_bytes(data)
        journal, error = outcome(lambda: read_journal(stack))
        if round_number % UP_EVERY == 0:  # `up` itself: a stack load per round, so on a share of them
            code, err = run_launcher(stack, "up", "--plain")
            assert code == (ExitCode.CONFIG if error else ExitCode.PREFLIGHT), f"{replay}\n{err}"
            if error:  # `up` and `upgrade` say the same line: neither points at the other while it cannot read
                assert err.strip() == f"launcher: {error.one_line()}", replay
                assert run_launcher(stack, "upgrade", "--yes") == (ExitCode.CONFIG, err), replay
        if error:
            outcomes["refused"] = outcomes.get("refused", 0) + 1
            continue
        engine = Engine(stack)
        _, refused = outcome(lambda: rollback.roll_back(engine, journal, "5"))
        outcomes["refused by the engine's word" if refused else "rolled back"] = outcomes.get(
            "refused by the engine's word" if refused else "rolled back", 0) + 1
        assert set(engine.client.removed) <= {NEW}, f"{replay}: removed {engine.client.removed}"
        for document in engine.started:
            service = document["services"]["postgres"]
            assert service.get("volumes", []) == MODEL["services"]["postgres"]["volumes"] or \
                "volumes" not in service, replay
            assert not service.get("privileged"), replay
        path.unlink(missing_ok=True)
        (stack / UPGRADE_OVERRIDE).unlink(missing_ok=True)
    assert outcomes.get("refused") and outcomes.get("rolled back"), outcomes


def test_switch_files_refuse_in_one_line_and_finish_takes_only_a_kept_old_volume(tmp_path):
    rng = random.Random(SEED + 1)
    valid = {"volumes": {"pgdata": {"name": NEW, "external": True}}}
    outcomes: dict[str, int] = {}
    for round_number in range(ROUNDS):
        what, data = mutated_text(rng, valid)
        replay = f"seed {SEED + 1}, round {round_number}: {what}"
        (tmp_path / UPGRADE_OVERRIDE).parent.mkdir(exist_ok=True)
        (tmp_path / UPGRADE_OVERRIDE).write_bytes(data)
        switched, error = outcome(lambda: read_switch(tmp_path))
        outcomes["refused" if error else "read"] = outcomes.get("refused" if error else "read", 0) + 1
        if error:
            assert error.exit_code == ExitCode.CONFIG and str(tmp_path / UPGRADE_OVERRIDE) in error.one_line(), replay
            continue
        client = Client()
        # --finish's choice: only the live volume, and only because this run's labelled new volume names it
        # (the scripted engine shows it in use, so it stays too).
        assert evidence.old_volumes_kept(client, PROJECT, switched) == [], replay
        client._list_containers = lambda all=False, filters=None, sparse=False: []  # the stack is down: nothing uses a volume
        kept = evidence.old_volumes_kept(client, PROJECT, switched)
        assert kept in ([], [LIVE]), replay
        assert kept == [] or NEW in switched.values(), replay
    assert outcomes.get("refused") and outcomes.get("read"), outcomes


def test_a_wrong_last_up_record_is_set_aside_and_rebuilt_never_a_blocker(tmp_path):
    rng = random.Random(SEED + 2)
    valid = {"key": "k", "config": copy.deepcopy(MODEL)}
    path = tmp_path / RECORD
    path.parent.mkdir()
    outcomes: dict[str, int] = {}
    for round_number in range(ROUNDS):
        what, data = mutated_text(rng, valid)
        replay = f"seed {SEED + 2}, round {round_number}: {what}"
        path.write_bytes(data)
        (tmp_path / SET_ASIDE).unlink(missing_ok=True)
        warning = set_aside_bad_record(tmp_path)
        outcomes["set aside" if warning else "kept"] = outcomes.get("set aside" if warning else "kept", 0) + 1
        if warning is not None:
            assert warning.status == "warn" and not path.exists() and (tmp_path / SET_ASIDE).exists(), replay
            assert read_record(tmp_path) is None, replay
        else:
            assert read_record(tmp_path) is not None, replay
            # What the upgrade builds from it works too.
            switch.previous_config(read_record(tmp_path)["config"], {}, {})
        record_up(tmp_path, "k2", lambda: copy.deepcopy(MODEL), ["postgres"])
        assert read_record(tmp_path)["config"]["services"]["postgres"] == MODEL["services"]["postgres"], replay
    assert outcomes.get("set aside") and outcomes.get("kept"), outcomes
