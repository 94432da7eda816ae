"""The compose model: the services of the active profiles as `docker compose config` describes them.

Only what launch needs (group, one-shot or server, healthcheck timing, published
ports, image and pull policy), never a service's environment: the model is cached
on disk and holds no secret.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping, Sequence

from wizard.core.docker.pgdata import PGDATA

# A service carrying this label is a job that runs to completion: ready once it exited 0.
ONESHOT_LABEL = "launcher.oneshot"

# Docker's own defaults when a healthcheck leaves a field out.
HEALTH_DEFAULTS = {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}
# The least time a service gets to become ready: image pulls, slow disks, first-run init.
WAIT_FLOOR = 60.0
# Well-known container ports get their usual URL scheme; anything else is shown as http.
URL_SCHEMES = {5432: "postgresql", 6379: "redis", 27017: "mongodb", 3306: "mysql", 5672: "amqp"}


@dataclass(frozen=True)
class PublishedPort:
    """A container port published on the host."""

    port: int  # on the host
    target: int  # in the container
    host_ip: str = ""
    protocol: str = "tcp"

    @property
    def local(self) -> bool:
        """Reachable on 127.0.0.1 (bound to loopback or to every address)."""
        return self.host_ip in ("", "0.0.0.0", "127.0.0.1", "::", "[::]")

    def url(self) -> str:
        scheme = URL_SCHEMES.get(self.target, "http") if self.protocol == "tcp" else self.protocol
        return f"{scheme}://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class ServiceSpec:
    """What launch needs to know about one compose service (never its environment)."""

    name: str
    group: str
    oneshot: bool = False
    healthcheck: bool = False
    wait_timeout: float = WAIT_FLOOR
    depends_on: tuple[str, ...] = ()
    # Of ``depends_on``, those marked ``required: false``: compose goes on without them.
    optional_deps: tuple[str, ...] = ()
    replicas: int = 1  # `deploy.replicas` or `scale`: 0 means nothing to start
    # `post_start` hooks: compose runs them after each start, so such a service is started by compose.
    post_start: bool = False
    # Configs or secrets from `content:` or `environment:`: compose writes them into the container
    # each time it starts it (never at creation), so such a service is started by compose too.
    injects_files: bool = False
    # Of ``depends_on``, those it waits for with `condition: service_healthy` (and required):
    # compose refuses one that has no healthcheck ("container db has no healthcheck configured").
    healthy_deps: tuple[str, ...] = ()
    # `healthcheck.start_interval` as written ("" for none), and whether `start_period` is there
    # too: compose refuses the first on an engine older than 25, and without the second everywhere.
    start_interval: str = ""
    start_period_set: bool = False
    ports: tuple[PublishedPort, ...] = ()
    # The image it runs; for a service with `build:` the one compose builds (see images.py).
    image: str = ""
    build: bool = False
    pull_policy: str = ""  # the compose file's own pull_policy ("" when it says nothing)
    # The engine's name of the named volume mounted as the Postgres data directory ("" for none):
    # `up` reads its PG_VERSION before anything starts (``wizard.core.lifecycle.pgdatacheck``).
    pgdata_volume: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ServiceSpec":
        values = dict(data)
        values["depends_on"] = tuple(values.get("depends_on", ()))
        values["optional_deps"] = tuple(values.get("optional_deps", ()))
        values["healthy_deps"] = tuple(values.get("healthy_deps", ()))
        values["ports"] = tuple(PublishedPort(**port) for port in values.get("ports", ()))
        return cls(**values)


@dataclass(frozen=True)
class ComposeModel:
    """The services of the active profiles, in compose's order, each with its group.

    ``groups`` maps every service of every profile to its group, so a container of
    a profile not enabled today is still shown in the right group.
    """

    services: tuple[ServiceSpec, ...]
    groups: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def group_of(self, service: str) -> str:
        return self.groups.get(service, "")

    def service(self, name: str) -> ServiceSpec:
        for spec in self.services:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def in_groups(self, groups: Sequence[str]) -> list[ServiceSpec]:
        wanted = set(groups)
        return [spec for spec in self.services if spec.group in wanted]

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.services]


def go_duration(text: Any, default: float) -> float:
    """Seconds in a Go duration as compose prints it (``1m30s``, ``500ms``); default if absent."""
    if text in (None, ""):
        return default
    if isinstance(text, (int, float)):
        return float(text) / 1e9  # compose's JSON may carry nanoseconds
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    parts = re.findall(r"([\d.]+)(h|ms|m|s|us|µs|ns)", str(text))
    if not parts:
        return default
    return sum(float(number) * units[unit] for number, unit in parts)


def wait_timeout(healthcheck: Mapping[str, Any] | None) -> float:
    """How long a service may take to turn healthy: start period + retries x interval, floored."""
    if not healthcheck or healthcheck.get("disable"):
        return WAIT_FLOOR
    interval = go_duration(healthcheck.get("interval"), HEALTH_DEFAULTS["interval"])
    probe = go_duration(healthcheck.get("timeout"), HEALTH_DEFAULTS["timeout"])
    start_period = go_duration(healthcheck.get("start_period"), HEALTH_DEFAULTS["start_period"])
    retries = int(healthcheck.get("retries") or HEALTH_DEFAULTS["retries"])
    # A probe can hang for its own timeout before the next one is scheduled.
    return max(WAIT_FLOOR, start_period + retries * (interval + min(probe, interval)))


def model_from_config(config: Mapping[str, Any], groups_of: Mapping[str, str]) -> ComposeModel:
    """Turn `docker compose config --format json` into ServiceSpecs.

    A service is a one-shot job when it says so (label ``launcher.oneshot=true``), or when
    another service waits for it with ``condition: service_completed_successfully``, whatever
    its restart policy: what compose's ``--wait`` waits on as a job (its ``getDependencyCondition``).
    """
    services: Mapping[str, Any] = config.get("services") or {}
    awaited_completion = {
        dependency
        for service in services.values()
        for dependency, rule in (service.get("depends_on") or {}).items()
        if (rule or {}).get("condition") == "service_completed_successfully"
    }
    specs = []
    for name, service in services.items():
        labels = service.get("labels") or {}
        if isinstance(labels, list):  # compose normalises to a mapping, but be lenient
            labels = dict(item.split("=", 1) if "=" in item else (item, "") for item in labels)
        label = str(labels.get(ONESHOT_LABEL, "")).lower()
        oneshot = label in ("true", "1", "yes") or (label == "" and name in awaited_completion)
        healthcheck = service.get("healthcheck")
        has_check = bool(healthcheck) and not healthcheck.get("disable") and healthcheck.get("test") not in (
            None, ["NONE"])
        depends_on = service.get("depends_on") or {}
        specs.append(ServiceSpec(
            name=name,
            group=groups_of.get(name, ""),
            oneshot=oneshot,
            healthcheck=has_check,
            wait_timeout=wait_timeout(healthcheck if has_check else None),
            depends_on=tuple(depends_on),
            optional_deps=tuple(dep for dep, rule in depends_on.items() if (rule or {}).get("required") is False),
            replicas=_replicas(service),
            post_start=bool(service.get("post_start")),
            injects_files=_injects_files(service, config),
            healthy_deps=tuple(dep for dep, rule in depends_on.items()
                               if (rule or {}).get("condition") == "service_healthy"
                               and (rule or {}).get("required") is not False),
            # Compose converts any healthcheck it is given, a disabled one too.
            start_interval=str((healthcheck or {}).get("start_interval") or ""),
            start_period_set=(healthcheck or {}).get("start_period") is not None,
            ports=tuple(_config_ports(service.get("ports") or ())),
            # Compose names an image it builds without an `image:` "<project>-<service>".
            image=str(service.get("image") or (f"{config.get('name')}-{name}" if service.get("build") else "")),
            build=bool(service.get("build")),
            pull_policy=str(service.get("pull_policy") or ""),
            pgdata_volume=_pgdata_volume(service, config.get("volumes") or {}),
        ))
    return ComposeModel(tuple(specs), MappingProxyType(dict(groups_of)))


def _injects_files(service: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    """Whether compose writes a config or secret into this service's container when it starts it:
    those defined by ``content:`` or ``environment:`` (a ``file:`` one is a bind mount, made at creation)."""
    for kind in ("configs", "secrets"):
        defined = config.get(kind) or {}
        for entry in service.get(kind) or ():
            source = entry.get("source") if isinstance(entry, Mapping) else entry
            found = defined.get(source) or {}
            if found.get("content") is not None or found.get("environment"):
                return True
    return False


def pgdata_key(service: Mapping[str, Any]) -> str:
    """The compose volume key a resolved service mounts as the Postgres data directory ("" when none)."""
    for mount in service.get("volumes") or ():
        if (isinstance(mount, Mapping) and mount.get("type") == "volume" and mount.get("source")
                and str(mount.get("target", "")).rstrip("/") == PGDATA):
            return str(mount["source"])
    return ""


def _pgdata_volume(service: Mapping[str, Any], volumes: Mapping[str, Any]) -> str:
    """The name the engine knows the Postgres data volume by: the top-level entry's resolved ``name``,
    which an override (`launcher upgrade`'s switch) may have pointed at another, external volume."""
    key = pgdata_key(service)
    return str((volumes.get(key) or {}).get("name") or key) if key else ""


def _replicas(service: Mapping[str, Any]) -> int:
    """How many containers compose runs for a service: `deploy.replicas`, else `scale`, else 1."""
    replicas = (service.get("deploy") or {}).get("replicas")
    if replicas is None:
        replicas = service.get("scale")
    return 1 if replicas is None else int(replicas)


def _config_ports(ports: Sequence[Mapping[str, Any]]) -> Iterator[PublishedPort]:
    for port in ports:
        published = str(port.get("published") or "")
        if not published:
            continue  # an ephemeral host port: nothing to check up front
        first = published.split("-", 1)[0]
        if first.isdigit():
            yield PublishedPort(port=int(first), target=int(port.get("target") or 0),
                                host_ip=port.get("host_ip") or "", protocol=port.get("protocol") or "tcp")
