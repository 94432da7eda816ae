"""`launcher upgrade --yes`: snapshot, new volumes written and verified, switch, recreate; roll back on failure.

Order, each step safe to fail:
0. an interrupted earlier run (its journal is still there) is rolled back first;
1. the plan; nothing to change ends here;
2. a verified snapshot of the whole stack (`snapshot save`);
3. the journal (journal.py) written: from here on a SIGKILL is undone by the next run;
4. each Postgres major move written into a new volume and verified (majors.py);
5. the switch override written (switch.py), the changed services recreated with
   `compose up --force-recreate --no-deps --wait`;
6. the stack's upgrade steps for this move (sqlsteps.py), each SQL file once;
7. success: the new config recorded as the last `up`'s, the journal removed;
8. each moved MongoDB server's feature compatibility raised to its binary's (featurecompat.py).
Any failure or Ctrl-C from step 3 on rolls back (rollback.py): the switch as it was, the
services recreated from their previous config on their old volumes, the new volumes
removed. A failure after the switch raises UpgradeRolledBackError naming what failed, the
snapshot and the kept volume. The old volumes stay until `launcher upgrade --finish`, or
until a later upgrade succeeds (it removes them: they are then two versions old).
"""

from __future__ import annotations

import time
from typing import Iterator

from wizard.core.docker.composeengine import UPGRADE_OVERRIDE
from wizard.core.docker.model import pgdata_key
from wizard.core.docker.uprecord import read_record
from wizard.core.support.errors import LauncherError, PreflightFailed, SeedFailed
from wizard.core.support.events import Event, Finished
from wizard.core.support.lock import holding_lock
from wizard.exitcodes import ExitCode
from wizard.core.upgrade import featurecompat, majors, sqlsteps, switch
from wizard.core.upgrade.events import UpgradeRolledBack, UpgradeStep
from wizard.core.upgrade.journal import clear_journal, read_journal, write_journal
from wizard.core.upgrade.pgexec import last_line
from wizard.core.upgrade.plan import make_plan, room_short, running_containers
from wizard.core.upgrade.revive import start_as_recorded, stopped_servers
from wizard.core.upgrade.rollback import roll_back

DEFAULT_WAIT = 180


class UpgradeRolledBackError(LauncherError):
    """The new config did not come up; the previous one runs again on the old volumes."""

    exit_code = ExitCode.UNHEALTHY


@holding_lock("upgrade")
def upgrade(stack, engine, *, timeout: float | None = None, snapshot: bool = True) -> Iterator[Event]:
    """Move the stack to its compose files' images and config; yields events, ends with Finished."""
    began = time.monotonic()
    override = stack.root / UPGRADE_OVERRIDE
    client = engine.client
    wait = str(int(timeout or DEFAULT_WAIT))
    interrupted = read_journal(stack.root)
    if interrupted is not None:
        yield UpgradeStep(step="recover", detail="an earlier upgrade was interrupted: rolling it back first")
        roll_back(engine, interrupted, wait)
    stopped = stopped_servers(stack, engine)
    if stopped:
        yield UpgradeStep(step="start", detail=f"{', '.join(stopped)} as the last `up` ran it, to copy from")
        start_as_recorded(stack, engine, stopped, wait)
    # Kept by an earlier upgrade: this one, once it succeeds, makes them two versions old.
    earlier = pending_old_volumes(client, override)
    plan = make_plan(stack, engine)
    if plan.empty:
        yield Finished(ok=True, elapsed=time.monotonic() - began, summary="nothing to upgrade", details={})
        return
    short = room_short(plan)
    if short:
        raise PreflightFailed(short, "free some space (`docker system df` shows what Docker holds), then run it again")
    keys = _volume_keys(engine, plan)
    containers = running_containers(client, engine.project)
    changed = plan.services
    snapshot_path = ""
    if snapshot:
        from wizard.core.snapshots.save import save

        yield UpgradeStep(step="snapshot", detail="a verified snapshot of the stack before anything changes")
        for event in save(stack, engine=engine):
            if isinstance(event, Finished):
                snapshot_path = event.details.get("path", "")
            else:
                yield event
    record = read_record(stack.root)
    running = {service: containers[service] for service in changed}
    journal = {"phase": "copy", "new_volumes": [], "services": changed, "snapshot": snapshot_path,
               "override_before": override.read_text() if override.is_file() else None}
    write_journal(stack.root, journal)  # before the pins: a SIGKILL'd run's rollback removes them
    journal["previous"] = switch.previous_config(record["config"] if record else None, running,
                                                 switch.pin_previous_images(client, engine.project, running))
    write_journal(stack.root, journal)
    old_volumes = [change.volume for change in plan.majors]
    failed = ""
    moved: dict[str, str] = {}  # compose volume key -> new volume
    try:
        for change in plan.majors:
            yield UpgradeStep(step="copy", detail=f"{change.service}: PostgreSQL {change.old_major} -> "
                                                  f"{change.new_major}, {change.volume} into a new volume")
            journal["new_volumes"].append(majors.new_volume_name(change))
            write_journal(stack.root, journal)
            moved[keys[change.service]], _figures = yield from majors.copy_to_new_volume(
                client, change, containers[change.service])
        yield UpgradeStep(step="switch", detail=", ".join(f"{key} -> {name}" for key, name in moved.items())
                          or "images and config only")
        journal["phase"] = "switched"
        write_journal(stack.root, journal)
        if moved:
            switch.write_switch(override, {**switch.switched_volumes(override), **moved})
        yield UpgradeStep(step="recreate", detail=", ".join(changed))
        result = engine.run_compose("up", "-d", "--force-recreate", "--no-deps", "--wait", "--wait-timeout", wait,
                                    *changed, check=False)
        if result.returncode != 0:
            failed = last_line(result.stderr or result.stdout) or f"{', '.join(changed)} did not become healthy"
        else:
            try:
                yield from _run_upgrade_steps(stack, plan)
            except SeedFailed as error:
                failed = error.one_line()
    except BaseException:
        # Ctrl-C, a failed copy, an engine error: back as before, then the original error.
        roll_back(engine, journal, wait)
        raise
    if failed:
        yield UpgradeStep(step="rollback", detail=failed)
        roll_back(engine, journal, wait)
        yield UpgradeRolledBack(failed=failed, services=tuple(changed), snapshot=snapshot_path,
                                kept_volumes=tuple(old_volumes))
        raise UpgradeRolledBackError(f"upgrade rolled back: {failed}",
                                     f"the stack runs its previous images again; snapshot: {snapshot_path or 'none'}")
    # Done: from here on nothing is undone. The journal goes first, so a SIGKILL after it leaves
    # at worst a record one step behind (the next plan recreates a service that is already right).
    clear_journal(stack.root)
    engine.record_up(changed)
    switch.unpin_previous_images(client, engine.project)
    for name in earlier:
        if any(volume.name == name for volume in client.volumes.list(filters={"name": name})):
            client.volumes.get(name).remove()
    # Last: a raised feature-compatibility version cannot be rolled back by the old binary.
    yield from featurecompat.raise_after_upgrade(stack, engine, plan)
    yield Finished(ok=True, elapsed=time.monotonic() - began, summary="upgraded",
                   details={"services": changed, "new_volumes": sorted(moved.values()), "old_volumes": old_volumes,
                            "removed_volumes": earlier, "snapshot": snapshot_path})


def _volume_keys(engine, plan) -> dict[str, str]:
    """Each moving service's compose key for its data volume, from the resolved config, before anything runs."""
    services = engine.resolved_config().get("services") or {}
    keys = {change.service: pgdata_key(services.get(change.service) or {}) for change in plan.majors}
    for service, key in keys.items():
        if not key:
            raise PreflightFailed(f"{service} no longer mounts a named volume at the Postgres data directory",
                                  "the upgrade moves a data volume it can name: check the service's volumes")
    return keys


def pending_old_volumes(client, override) -> list[str]:
    """Old volumes an upgrade kept that still exist (removed by `upgrade --finish`)."""
    pending = []
    for name in switch.switched_volumes(override).values():
        for volume in client.volumes.list(filters={"name": name}):
            old = (volume.attrs.get("Labels") or {}).get(majors.FROM_LABEL)
            # The engine's name filter matches a part of a name: the old volume's own name is a part of the new one's.
            if volume.name == name and old and any(kept.name == old for kept in client.volumes.list(filters={"name": old})):
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
