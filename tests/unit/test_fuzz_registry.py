"""A bounded, seeded fuzzer over the instance registry (instances.json) and the instance names
the checkouts it points at record.

Each round mutates a valid registry (a value replaced by a hostile one, a key dropped, added or
renamed, bytes flipped, cut or inserted, an entry's folder pointed at another checkout, a gone
folder or a relative path, an entry copied under another name) or a checkout's
`.launcher/instance`, then runs `ls --json` (in a checkout: it follows a move), `gc --volumes
--yes` and `down --all` (asked; nobody answers) against an in-memory engine where every
instance runs. Whatever the mutation: no exit 1, at most one line on stderr, and nothing
stopped or removed (tests/unit/fake_docker_sdk.py refuses what the real engine refuses too).

LAUNCHER_FUZZ_ROUNDS (default 1,000) and LAUNCHER_FUZZ_SEED as in test_fuzz_init.
"""

from __future__ import annotations

import json
import os
import random

from tests.unit.fake_docker_sdk import FakeSdk
from tests.unit.test_fuzz_archives import mutate_bytes
from tests.unit.test_registry_strict import checkout, run
from wizard.core.lifecycle import instances as lifecycle
from wizard.core.support import registry

ROUNDS = int(os.environ.get("LAUNCHER_FUZZ_ROUNDS", "1000"))
SEED = int(os.environ.get("LAUNCHER_FUZZ_SEED", "20261207"))
HOSTILE = [None, "", " ", "../x", "x/../../y", "/", "relative/folder", "/nonexistent/folder", -1, 0, 65536,
           2 ** 63, 1.5, True, False, [], {}, {"P": "x"}, {"P": 0}, {"P": None}, "a" * 5000, "\u2028", "\x00",
           "2026-12-01T09:30Z", "2026-12-01 09:30", "enginestack", "enginestack-b", "UPPER", "-dash"]
ALLOWED_EXITS = {0, 3, 11}  # done, the registry refused (exit 3), the question declined


def paths(value, prefix=()):
    """Every (path, value) inside a JSON value."""
    yield prefix, value
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, (*prefix, key))


def at(document, path):
    for key in path:
        document = document[key]
    return document


def mutate(rng: random.Random, text: str, folders: list[str]) -> tuple[str, str]:
    """One mutation of the registry's text; returns the new text and what was done."""
    choice = rng.randrange(8)
    if choice == 0:
        return mutate_bytes(text.encode(), rng).decode("utf-8", "surrogateescape"), "bytes"
    document = json.loads(text)
    entries = document["instances"]
    names = list(entries)
    if choice == 1:  # a value replaced
        path, _ = rng.choice([item for item in paths(document) if item[0]])
        value = rng.choice(HOSTILE)
        at(document, path[:-1])[path[-1]] = value
        what = f"{'.'.join(path)} = {value!r:.40}"
    elif choice == 2:  # a key dropped
        path, _ = rng.choice([item for item in paths(document) if item[0]])
        del at(document, path[:-1])[path[-1]]
        what = f"del {'.'.join(path)}"
    elif choice == 3:  # a key added
        path, value = rng.choice([item for item in paths(document) if isinstance(item[1], dict)])
        value[rng.choice(["extra", "name", "folder", "x" * 50, ""])] = rng.choice(HOSTILE)
        what = f"key added in {'.'.join(path) or 'top'}"
    elif choice == 4:  # an entry's folder elsewhere: another checkout's, gone, odd
        name = rng.choice(names)
        entries[name]["folder"] = rng.choice([*folders, "/nonexistent/x", "relative", "/", folders[0] + "/.."])
        what = f"{name}.folder = {entries[name]['folder']}"
    elif choice == 5:  # an entry renamed, or copied under another name
        name = rng.choice(names)
        new = rng.choice(["enginestack", "enginestack-b", "copy", "Bad Name", "x" * 300])
        entries[new] = dict(entries[name], name=rng.choice([new, name]))
        if rng.random() < 0.5:
            del entries[name]
        what = f"{name} -> {new}"
    elif choice == 6:  # the format
        document["format"] = rng.choice(HOSTILE)
        what = f"format = {document['format']!r:.40}"
    else:  # two mutations at once
        text, first = mutate(rng, json.dumps(document), folders)
        try:
            json.loads(text)
        except ValueError:
            return text, first
        again, second = mutate(rng, text, folders)
        return again, f"{first}; {second}"
    return json.dumps(document, indent=rng.choice([None, 2])), what


def test_no_registry_makes_ls_gc_or_down_all_fail_badly_or_touch_what_runs(tmp_path, monkeypatch):
    rng = random.Random(SEED)
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("LAUNCHER_LOCK_WAIT", "5")
    roots = [checkout(tmp_path, name) for name in ("a", "b")]
    with registry.changing("test") as instances:
        instances["gone"] = registry.Instance("gone", "enginestack", str(tmp_path / "gone"), 200, {"P": 20000})
    names = sorted(registry.read())
    engine = FakeSdk()
    for name in names:
        engine.add_instance(name, status="running")
    everything = [(thing.kind, thing.name, thing.status) for thing in engine.things]
    monkeypatch.setattr(lifecycle, "sdk_client", lambda: engine)
    path = registry.registry_path()
    good = path.read_text()
    recorded = {root: (root / ".launcher" / "instance").read_text() for root in roots}
    outcomes: dict[int, int] = {}
    for round_number in range(ROUNDS):
        if rng.random() < 0.2:  # the folder's side: a checkout's recorded instance name
            root = rng.choice(roots)
            target = root / ".launcher" / "instance"
            written = rng.choice(["", "gone\n", f"{names[0]}\n", "Bad Name\n", "a\nb\n", None])
            target.unlink() if written is None else target.write_text(written)
            what = f"{root.name}/.launcher/instance = {written!r}"
            if rng.random() < 0.5:
                text, more = mutate(rng, good, [str(r) for r in roots])
                path.write_bytes(text.encode("utf-8", "surrogateescape"))
                what += f"; {more}"
        else:
            text, what = mutate(rng, good, [str(r) for r in roots])
            path.write_bytes(text.encode("utf-8", "surrogateescape"))
        replay = f"seed {SEED}, round {round_number}: {what}"
        monkeypatch.chdir(rng.choice([*roots, tmp_path]))
        for argv in (["ls", "--json"], ["gc", "--volumes", "--yes"], ["down", "--all"]):
            code, _, err = run(*argv)
            outcomes[code] = outcomes.get(code, 0) + 1
            assert code in ALLOWED_EXITS and err.count("\n") <= 1, f"{' '.join(argv)} exited {code} — {replay}\n{err}"
        assert engine.actions == [], f"{engine.actions} — {replay}"
        assert [(thing.kind, thing.name, thing.status) for thing in engine.things] == everything, replay
        path.write_text(good)
        for root, text in recorded.items():
            (root / ".launcher").mkdir(exist_ok=True)
            (root / ".launcher" / "instance").write_text(text)
    # The mutations reach both sides: some registries are refused, some still read.
    assert {0, 3}.issubset(outcomes), outcomes
