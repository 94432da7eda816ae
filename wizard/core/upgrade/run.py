"""`launcher upgrade --yes`: snapshot, new volumes written and verified, switch, recreate; roll back on failure.

Order, each step safe to fail:
1. the plan; nothing to change ends here;
2. a verified snapshot of the whole stack (`snapshot save`);
3. each Postgres major move written into a new volume and verified (majors.py): a
   failure removes the new volume and leaves config, old volume and services as they were;
4. the switch override written (switch.py), the changed services recreated with
   `compose up --force-recreate --no-deps --wait`;
5. the stack's upgrade steps for this move (sqlsteps.py), each SQL file once;
6. if the services do not become healthy or a step fails: the switch removed, the services recreated from their
   previous image and healthcheck on their old volumes, the new volumes removed, and
   UpgradeRolledBack raised naming what failed, the snapshot and the kept volume.
The old volumes stay until `launcher upgrade --finish` (finish.py).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Iterator

from wizard.core.docker.composeengine import UPGRADE_OVERRIDE
from wizard.core.support.errors import LauncherError, PreflightFailed, SeedFailed
from wizard.core.support.events import Event, Finished
from wizard.core.support.lock import holding_lock
from wizard.exitcodes import ExitCode
from wizard.core.upgrade import majors, sqlsteps, switch
from wizard.core.upgrade.events import UpgradeRolledBack, UpgradeStep
from wizard.core.upgrade.plan import make_plan, running_containers

VOLUME_LABEL = "com.docker.compose.volume"
DEFAULT_WAIT = 180


class UpgradeRolledBackError(LauncherError):
    """The new config did not come up; the previous one runs again on the old volumes."""

    exit_code = ExitCode.UNHEALTHY


@holding_lock("upgrade")
def upgrade(stack, engine, *, timeout: float | None = None, snapshot: bool = True) -> Iterator[Event]:
    """Move the stack to its compose files' images; yields events, ends with Finished (details: volumes, snapshot)."""
    began = time.monotonic()
    override = stack.root / UPGRADE_OVERRIDE
    client = engine.client
    waiting = pending_old_volumes(client, override)
    if waiting:
        raise PreflightFailed(f"an earlier upgrade is not finished: volume(s) {', '.join(waiting)} still kept",
                              "run `launcher upgrade --finish` first")
    plan = make_plan(stack, engine)
    if plan.empty:
        yield Finished(ok=True, elapsed=time.monotonic() - began, summary="nothing to upgrade", details={})
        return
    containers = running_containers(client, engine.project)
    changed = [change.service for change in plan.images]
    snapshot_path = ""
    if snapshot:
        from wizard.core.snapshots.save import save

        yield UpgradeStep(step="snapshot", detail="a verified snapshot of the stack before anything changes")
        for event in save(stack, engine=engine):
            if isinstance(event, Finished):
                snapshot_path = event.details.get("path", "")
            else:
                yield event
    moved: dict[str, str] = {}  # compose volume key -> new volume
    old_volumes: list[str] = []
    for change in plan.majors:
        yield UpgradeStep(step="copy", detail=f"{change.service}: PostgreSQL {change.old_major} -> {change.new_major}, "
                                              f"{change.volume} into a new volume")
        new_volume, _figures = majors.copy_to_new_volume(client, change, containers[change.service])
        moved[client.volumes.get(change.volume).attrs["Labels"][VOLUME_LABEL]] = new_volume
        old_volumes.append(change.volume)
    previous = {service: containers[service] for service in changed}
    yield UpgradeStep(step="switch", detail=", ".join(f"{key} -> {name}" for key, name in moved.items()) or "images only")
    before = override.read_text() if override.is_file() else None
    if moved:
        switch.write_switch(override, {**switch.switched_volumes(override), **moved})
    wait = str(int(timeout or DEFAULT_WAIT))
    yield UpgradeStep(step="recreate", detail=", ".join(changed))
    result = engine.run_compose("up", "-d", "--force-recreate", "--no-deps", "--wait", "--wait-timeout", wait,
                                *changed, check=False)
    failed = ""
    if result.returncode != 0:
        failed = _last_line(result.stderr or result.stdout) or f"{', '.join(changed)} did not become healthy"
    else:
        try:
            yield from _run_upgrade_steps(stack, plan)
        except SeedFailed as error:
            failed = error.one_line()
    if failed:
        yield UpgradeStep(step="rollback", detail=failed)
        if before is None:
            override.unlink(missing_ok=True)
        else:
            override.write_text(before)
        _bring_back(engine, previous, wait)
        for volume in moved.values():
            client.volumes.get(volume).remove(force=True)
        yield UpgradeRolledBack(failed=failed, services=tuple(changed), snapshot=snapshot_path,
                                kept_volumes=tuple(old_volumes))
        raise UpgradeRolledBackError(f"upgrade rolled back: {failed}",
                                     f"the stack runs its previous images again; snapshot: {snapshot_path or 'none'}")
    yield Finished(ok=True, elapsed=time.monotonic() - began, summary="upgraded",
                   details={"services": changed, "new_volumes": sorted(moved.values()), "old_volumes": old_volumes,
                            "snapshot": snapshot_path})


def pending_old_volumes(client, override: Path) -> list[str]:
    """Old volumes an upgrade kept that still exist (removed by `upgrade --finish`)."""
    pending = []
    for name in switch.switched_volumes(override).values():
        for volume in client.volumes.list(filters={"name": name}):
            old = (volume.attrs.get("Labels") or {}).get(majors.FROM_LABEL)
            if volume.name == name and old and client.volumes.list(filters={"name": old}):
                pending.append(old)
    return pending


def _run_upgrade_steps(stack, plan) -> Iterator[Event]:
    """The stack's SQL for this version move, once the new services are healthy (sqlsteps.py)."""
    steps = sqlsteps.steps_for(stack, plan)
    if not steps:
        return
    from wizard.core.seeds.steps import run_step
    from wizard.core.values.resolution import current_values

    values = current_values(stack)
    for step in steps:
        yield from run_step(stack, step, values)


def _bring_back(engine, previous: dict, wait: str) -> None:
    """Recreate the services from their previous image and healthcheck, on their old volumes."""
    with tempfile.TemporaryDirectory() as folder:
        back = Path(folder) / "previous.yml"
        switch.write_previous(back, previous)
        engine.run_compose("up", "-d", "--force-recreate", "--no-deps", "--wait", "--wait-timeout", wait,
                           *previous, files=[*engine.compose_files(), back])


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
