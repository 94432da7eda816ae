"""`up` refuses a Postgres data volume its image's server cannot run, before anything starts.

A server of another major version refuses the data (or, worse, a team is tempted to
wipe the volume to get past it); `launcher upgrade` moves the data instead. For each
service of the run whose compose model mounts a named volume as the Postgres data
directory (the volume the service really mounts: `launcher upgrade`'s switch included),
the volume's PG_VERSION is compared with its image's `postgres --version`
(``wizard.core.docker.pgdata``: one throwaway container, no network, read-only).

The daily `up` pays nothing for it: no volume yet is nothing to check; a container of
the service that is running (healthy) that very image on that very volume has shown it
works; and an answer once found is kept in the record cache keyed by the volume's name
and the image's id, so a new image asks again. Not by the volume's ``CreatedAt``: the
local driver derives it from the volume folder's change time, which moves with every
start of the server (seen on Engine 20.10), so the record would never be hit. A volume
re-created under the same name instead clears the record, since `up` then finds no
volume; one re-made behind the launcher's back (by plain compose, with another image)
is not seen until its server refuses the data.
"""

from __future__ import annotations

import hashlib
from typing import Iterator, Mapping, Sequence

from wizard.core.docker.containers import ContainerState, replicas_by_service
from wizard.core.docker.model import ServiceSpec
from wizard.core.docker.pgdata import PGDATA
from wizard.core.docker.protocol import Engine, ReadsVolumes
from wizard.core.support.cache import cache_read, cache_write, fingerprint
from wizard.core.support.errors import PreflightFailed
from wizard.core.support.events import Event, PreflightCheck

# A container without a healthcheck counts as proof only once it has run this long: a server
# that refuses its data exits within a moment, and its restarts show "running" in between.
PROVEN_UPTIME = 2.0


def check_data_versions(engine: Engine, specs: Sequence[ServiceSpec], image_ids: Mapping[str, str],
                        containers: Sequence[ContainerState] | None) -> Iterator[Event]:
    """One PreflightCheck per Postgres data volume; PreflightFailed (exit 8) on the first mismatch.

    ``image_ids``: the local id of each image the specs name (absent: not here, nothing to check).
    ``containers``: the project's containers as last listed (None: not listed, no shortcut).
    """
    if not isinstance(engine, ReadsVolumes):
        return
    running = replicas_by_service(containers or [])
    for spec in specs:
        image_id = image_ids.get(spec.image, "")
        if not spec.pgdata_volume or not image_id:
            continue
        if any(_proven(state, spec, image_id) for state in running.get(spec.name, [])):
            continue
        record = "pgdata-" + hashlib.sha256(spec.pgdata_volume.encode()).hexdigest()[:16]
        if not engine.has_volume(spec.pgdata_volume):
            # Compose creates it empty and the server initialises it in its own version. A record
            # of an earlier volume of this name goes: the next one may hold other data.
            cache_write(record, "", None)
            continue
        key = fingerprint({"volume": spec.pgdata_volume, "image": image_id}, [])
        if cache_read(record, key) is not None:
            continue
        data, server = engine.pgdata_majors(spec.image, spec.pgdata_volume)
        if data is not None and data != server:
            yield PreflightCheck(f"data {spec.name}", "fail", _mismatch(spec, data, server), UPGRADE_HINT)
            raise PreflightFailed(f"{_mismatch(spec, data, server)}, nothing was started",
                                  UPGRADE_HINT + _old_server_hint(running.get(spec.name, [])))
        cache_write(record, key, {"data": data, "server": server})
        yield PreflightCheck(f"data {spec.name}", "ok",
                             f"volume {spec.pgdata_volume}: " + (f"PostgreSQL {data} data, as its image" if data
                                                                 else "no cluster yet"))


UPGRADE_HINT = "run `launcher upgrade --plan` to see the move, then `launcher upgrade` (it copies into a new volume)"


def _mismatch(spec: ServiceSpec, data: int, server: int) -> str:
    return (f"service {spec.name}: volume {spec.pgdata_volume} holds PostgreSQL {data} data, "
            f"its image {spec.image} runs PostgreSQL {server}")


def _old_server_hint(containers: Sequence[ContainerState]) -> str:
    """The upgrade dumps from the old server: say so when none of the service's containers runs."""
    if any(state.state == "running" for state in containers):
        return ""
    return "; it reads from the old server, so bring the service up on its previous image first"


def _proven(state: ContainerState, spec: ServiceSpec, image_id: str) -> bool:
    """This container runs the spec's image on the spec's data volume and the server has come up."""
    if state.image_id != image_id or dict(state.volumes).get(PGDATA) != spec.pgdata_volume:
        return False
    if state.state != "running":
        return False
    if state.health:
        return state.health == "healthy"
    return (state.uptime or 0.0) >= PROVEN_UPTIME
