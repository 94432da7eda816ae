"""What each `up` must change so the running stack is what the files say: compose's rules, and why.

Compose decides per container (v2.40.3 ``pkg/compose/convergence.go``, ``ensureService`` and
``mustRecreate``): recreate it when its ``com.docker.compose.config-hash`` label differs from
the hash of the service now, or its ``com.docker.compose.image`` label from the id of the
service's image now; add or remove containers until there are ``deploy.replicas`` (or
``scale``); start one that is not running. When it recreates a service, every dependant whose
``depends_on`` entry says ``restart: true`` is stopped first and started again after it.
These are the same rules, decided from what cannot go stale: the containers' own labels (one
list call), the images' ids (the images check's list call) and compose's hash of the files
as they are now (``wizard.core.docker.confighash``, cached by the files' content). A no-op
`up` therefore asks compose nothing; what differs is handed to compose, which recreates,
scales or creates it (``ComposeEngine.create`` / ``start``), in plan order.

The reasons are ours: which config keys changed (``environment.FOO``, ``image``,
``deploy.replicas``; never a value), found by comparing compose's resolved config now with
the one the last successful `up` recorded (``wizard.core.docker.uprecord``). They cost a
compose call, made only when something is to be recreated.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

from wizard.core.docker.confighash import Wanted
from wizard.core.docker.containers import ContainerState, replicas_by_service
from wizard.core.docker.model import ServiceSpec
from wizard.core.lifecycle.readiness import to_start
from wizard.core.support.events import ServiceChange

# What `up` hands to compose to act on (besides what readiness alone would start).
CONVERGING = ("recreate", "scale", "restart")
# The keys compose leaves out of its hash (hash.go): changing them alone recreates nothing.
NOT_HASHED = frozenset({"build", "pull_policy", "scale", "depends_on", "profiles"})

# An anonymous volume's name: compose carries it over to the new container itself.
_ANONYMOUS = re.compile(r"[0-9a-f]{64}")

Reasons = Callable[[str], "tuple[str, ...]"]


def decide(specs: Sequence[ServiceSpec], containers: Sequence[ContainerState], *, wanted: Wanted | None,
           image_ids: Mapping[str, str], config_reasons: Reasons = lambda name: (),
           rerun_jobs: bool = True) -> list[ServiceChange]:
    """One ServiceChange per spec, in the specs' order (see the module's words).

    ``wanted``: compose's hashes now (None: an engine that does not converge, so only what is
    missing or stopped is acted on). ``image_ids``: the local id of each image that is here.
    ``config_reasons``: the keys that changed for a service whose hash differs. ``rerun_jobs``: a
    completed job is started again (``readiness.to_start``; not on Swarm).
    """
    present = replicas_by_service(containers)
    found: list[ServiceChange] = []
    for spec in specs:
        replicas = present.get(spec.name, [])
        count, want = len(replicas), spec.replicas

        def change(action: str, reasons: tuple[str, ...] = (), spec: ServiceSpec = spec,
                   count: int = count, want: int = want) -> ServiceChange:
            return ServiceChange(group=spec.group, service=spec.name, action=action, reasons=reasons,
                                 replicas=count, wanted=want)

        stale = _stale(spec, replicas, wanted, image_ids, config_reasons) if wanted is not None else None
        if not replicas:
            found.append(change("create") if want else change("nothing"))
        elif stale is not None and want:
            found.append(change("recreate", stale))
        elif wanted is not None and count != want:
            found.append(change("scale", (f"deploy.replicas {count} -> {want}",)))
        elif to_start(spec, replicas, rerun_jobs=rerun_jobs):
            found.append(change("start", (replicas[0].state,)))
        else:
            found.append(change("nothing"))
    return _with_restarts(specs, found)


def _stale(spec: ServiceSpec, replicas: Sequence[ContainerState], wanted: Wanted, image_ids: Mapping[str, str],
           config_reasons: Reasons) -> tuple[str, ...] | None:
    """Why compose would recreate the service's containers; None when it would not."""
    expected = wanted.hashes.get(spec.name)
    image_id = image_ids.get(spec.image)
    config = expected is not None and any(c.config_hash != expected for c in replicas)
    # Compose labels a container with the id its image had (only when that image was here).
    image = image_id is not None and any(c.image_label != image_id for c in replicas)
    if not (config or image):
        return None
    keys = config_reasons(spec.name) if config else ()
    reasons = tuple(key for key in keys if key != "image")
    if image or "image" in keys:
        reasons = ("image", *reasons)
    return reasons or ("config",)


def _with_restarts(specs: Sequence[ServiceSpec], found: list[ServiceChange]) -> list[ServiceChange]:
    """A dependant marked ``restart: true`` on a recreated service is restarted (compose stops it first)."""
    recreated = {item.service for item in found if item.action == "recreate"}
    by_name = {spec.name: spec for spec in specs}
    result = []
    for item in found:
        causes = [dep for dep in by_name[item.service].restart_deps if dep in recreated]
        if causes and item.action in ("nothing", "start"):
            item = ServiceChange(group=item.group, service=item.service, action="restart",
                                 reasons=tuple(f"{dep} is recreated" for dep in causes),
                                 replicas=item.replicas, wanted=item.wanted)
        result.append(item)
    return result


def changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys of a resolved service that differ, one level into mappings (``environment.FOO``); no values.

    Keys compose does not hash are left out (see NOT_HASHED), and so is ``deploy.replicas``: a
    replica count is a scale, never a recreate. An empty value appearing or going (compose fills
    in ``deploy: {resources: {}}`` once a ``deploy:`` is written) is named by its mapping's key.
    """
    keys: list[str] = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if key in NOT_HASHED or old == new:
            continue
        if not (isinstance(old, Mapping) or isinstance(new, Mapping)):
            keys.append(key)
            continue
        old_map = old if isinstance(old, Mapping) else {}
        new_map = new if isinstance(new, Mapping) else {}
        differing = {name for name in old_map.keys() | new_map.keys() if old_map.get(name) != new_map.get(name)}
        if key == "deploy":
            differing.discard("replicas")
            if not differing and isinstance(old, Mapping) == isinstance(new, Mapping):
                continue
        named = sorted(name for name in differing if _filled(old_map.get(name)) or _filled(new_map.get(name)))
        keys.extend(f"{key}.{name}" for name in named) if named else keys.append(key)
    return tuple(keys)


def _filled(value: Any) -> bool:
    return value not in (None, {}, [])


def config_reasons(recorded: Mapping[str, Any], resolved: Callable[[], Mapping[str, Any]]) -> Reasons:
    """For a service: the keys that differ between the last `up`'s record and compose's resolved config now.

    ``resolved`` is called once, the first time a service needs reasons (it runs compose).
    """
    memo: dict[str, Any] = {}

    def reasons(name: str) -> tuple[str, ...]:
        if name not in recorded:
            return ()
        if "now" not in memo:
            memo["now"] = resolved().get("services") or {}
        return changed_keys(recorded[name], memo["now"].get(name) or {})
    return reasons


def acting(found: Sequence[ServiceChange]) -> list[ServiceChange]:
    """The changes that do something (not "nothing")."""
    return [item for item in found if item.action != "nothing"]


def converging(found: Sequence[ServiceChange]) -> set[str]:
    """Services that readiness alone would leave alone but compose must act on."""
    return {item.service for item in found if item.action in CONVERGING}


def volumes_held(containers: Sequence[ContainerState], services: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The named volumes each of these services' containers mount (what a recreate keeps, not copies)."""
    present = replicas_by_service(containers)
    held = {}
    for name in services:
        volumes = sorted({volume for container in present.get(name, []) for _, volume in container.volumes
                          if volume and not _ANONYMOUS.fullmatch(volume)})
        if volumes:
            held[name] = tuple(volumes)
    return held
