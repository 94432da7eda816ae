"""What the engine must show before a rollback deletes a volume its journal names (upgrade/evidence.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from wizard.core.snapshots.manifest import FORMAT, MANIFEST, manifest_hash, snapshots_dir
from wizard.core.upgrade.evidence import FROM_LABEL, UPGRADE_ID_LABEL, new_volume_verdict
from wizard.core.upgrade.rollback import _snapshot_taken

PROJECT = "demo"
RUN = "cd" * 16
BEGAN = datetime(2026, 12, 7, 22, 0, tzinfo=timezone.utc)


def client(labels: dict, created: datetime, used: bool = False):
    volume = SimpleNamespace(name="demo_pgdata-pg17", attrs={"Labels": labels,
                                                               "CreatedAt": created.strftime("%Y-%m-%dT%H:%M:%SZ")})
    user = SimpleNamespace(id="c1", attrs={"Names": ["/demo-postgres-1"], "Mounts": [{"Name": volume.name}]})
    return SimpleNamespace(volumes=SimpleNamespace(list=lambda filters: [volume]),
                           containers=SimpleNamespace(list=lambda all, sparse, filters: [user] if used else []))


def verdict(labels: dict, *, created: datetime = BEGAN + timedelta(seconds=30), used: bool = False,
            upgrade_id: str | None = RUN, began: datetime | None = None):
    found = new_volume_verdict(client(labels, created, used), "demo_pgdata-pg17", PROJECT, upgrade_id, began)
    return found.reason if found else "removable"


def test_only_a_volume_labelled_by_this_run_and_unused_may_go():
    ours = {"com.docker.compose.project": PROJECT, FROM_LABEL: "demo_pgdata", UPGRADE_ID_LABEL: RUN}
    assert verdict(ours) == "removable"
    assert verdict(ours, used=True) == "in-use"
    assert verdict({**ours, UPGRADE_ID_LABEL: "ef" * 16}) == "earlier"  # another run's
    assert verdict({key: value for key, value in ours.items() if key != UPGRADE_ID_LABEL}) == "earlier"
    assert verdict({**ours, "com.docker.compose.project": "other"}) == "foreign"
    assert verdict({"com.docker.compose.project": PROJECT}) == "foreign"  # the stack's own data volume
    assert verdict({}) == "foreign"


def test_a_journal_of_an_older_launcher_matches_only_what_the_engine_created_after_its_snapshot():
    older = {"com.docker.compose.project": PROJECT, FROM_LABEL: "demo_pgdata"}
    assert verdict(older, upgrade_id=None, began=BEGAN) == "removable"
    assert verdict(older, upgrade_id=None, began=BEGAN, created=BEGAN - timedelta(minutes=5)) == "earlier"
    assert verdict(older, upgrade_id=None, began=None) == "earlier"  # no snapshot: nothing proves it
    assert verdict({**older, UPGRADE_ID_LABEL: RUN}, upgrade_id=None, began=BEGAN) == "earlier"


def test_the_snapshot_time_comes_only_from_a_sound_snapshot_of_this_stack(tmp_path):
    stack = SimpleNamespace(root=tmp_path)
    folder = snapshots_dir(stack) / "before-upgrade"
    folder.mkdir(parents=True)
    manifest = {"format": FORMAT, "stack": "demo", "created": BEGAN.isoformat(timespec="seconds"), "parts": []}
    (folder / MANIFEST).write_text(json.dumps({**manifest, "manifest_sha256": manifest_hash(manifest)}))
    assert _snapshot_taken(stack, str(folder)) == BEGAN
    assert _snapshot_taken(stack, "") is None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / MANIFEST).write_text((folder / MANIFEST).read_text())
    assert _snapshot_taken(stack, str(elsewhere)) is None  # not in the stack's snapshots folder
    forged = {**manifest, "created": "1970-01-01T00:00:00+00:00"}
    (folder / MANIFEST).write_text(json.dumps({**forged, "manifest_sha256": "0" * 64}))
    assert _snapshot_taken(stack, str(folder)) is None  # edited: its own hash says so
