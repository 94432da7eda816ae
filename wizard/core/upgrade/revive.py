"""The old database servers an upgrade copies from, started as the last `up` ran them when they are down.

After `launcher down` (or a reboot) and a pull of new pins, `up` refuses a data volume of
the old major, since it would start the new server on old data, while the major move
needs the old server running: its own pg_dumpall reads the data. The last `up`'s record
(uprecord.py) says exactly how each ran (image, config, volume), so the upgrade starts
those first, and only those: services that mount a volume at the Postgres data directory.
"""

from __future__ import annotations

from wizard.core.docker.upgradestate import read_switch
from wizard.core.docker.uprecord import RECORD, read_record
from wizard.core.upgrade.evidence import check_previous
from wizard.core.support.lock import holding_lock
from wizard.core.docker.model import pgdata_key
from wizard.core.upgrade.plan import running_containers
from wizard.core.upgrade.rollback import bring_back


def stopped_servers(stack, engine) -> list[str]:
    """Recorded services with a Postgres data volume whose container is missing or not running."""
    record = read_record(stack.root)
    if record is None:
        return []
    containers = running_containers(engine.client, engine.project)
    stopped = []
    for name, service in sorted((record["config"].get("services") or {}).items()):
        if pgdata_key(service) and (name not in containers or containers[name].status != "running"):
            stopped.append(name)
    return stopped


@holding_lock("upgrade")
def start_as_recorded(stack, engine, services: list[str], wait: str) -> None:
    """Bring ``services`` up exactly as the last successful `up` ran them, and wait for their health."""
    record = read_record(stack.root)
    assert record is not None, "stopped_servers found them in the record"
    previous = {"standalone": True, "document": record["config"]}
    # The record is a note: it starts nothing the compose files do not give these services.
    check_previous(engine, previous, services, stack.root / RECORD, switch_before=read_switch(stack.root))
    bring_back(engine, previous, services, wait)
