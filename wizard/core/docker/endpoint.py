"""Which engine to talk to, found as the Docker CLI finds it; the one answer every part of the launcher uses.

The CLI's order (``resolveContextName`` in docker/cli): ``DOCKER_HOST``; else the context
named by ``DOCKER_CONTEXT``; else ``currentContext`` in the CLI config
(``$DOCKER_CONFIG/config.json``, by default ``~/.docker/config.json``); else the default
socket. A context's endpoint is in ``contexts/meta/<sha256 of its name>/meta.json`` next
to that config, its TLS material in ``contexts/tls/<same>/docker/``. Docker Desktop on
Linux, Colima, OrbStack, Rancher Desktop and remote engines are all reached this way.

The files are read, not ``docker context inspect`` run: a no-op `up` pays two small file
reads, no process. Every file is parsed strictly: a wrong one is one line naming it.

Subprocesses (compose, `docker exec`, `docker stack`) get the context itself
(``DOCKER_CONTEXT``), never just its host: ``DOCKER_HOST`` alone would drop its TLS material.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from wizard.core.support.errors import ConfigError

DEFAULT_SOCKET = "/var/run/docker.sock"
DEFAULT_HOST = f"unix://{DEFAULT_SOCKET}"
LOOPBACK = ("localhost", "127.0.0.1", "::1")
DEFAULT_CONTEXT = "default"  # the CLI's name for "DOCKER_HOST or the default socket"
SCHEMES = ("unix://", "tcp://", "ssh://", "http://", "https://")
TLS_FILES = ("ca.pem", "cert.pem", "key.pem")


@dataclass(frozen=True)
class Endpoint:
    """An engine address and where it came from."""

    host: str  # unix:///path, tcp://host:port, ssh://user@host
    source: str  # "DOCKER_HOST", "DOCKER_CONTEXT", "currentContext in PATH" or "the default socket"
    context: str = ""  # the CLI context in use; "" with DOCKER_HOST or the default socket
    tls_dir: str = ""  # the context's folder of ca.pem / cert.pem / key.pem, when it has one
    skip_tls_verify: bool = False

    def origin(self) -> str:
        """Why this address: ``context colima (from DOCKER_CONTEXT)``, ``DOCKER_HOST``, ``the default socket``."""
        return f"context {self.context} (from {self.source})" if self.context else self.source

    def describe(self) -> str:
        """The address and why: ``unix:///run/user/1000/podman/podman.sock, context podman (from DOCKER_CONTEXT)``."""
        return f"{self.host}, {self.origin()}"

    @property
    def socket_path(self) -> str:
        """The local socket's path, or "" when the engine is reached another way."""
        return self.host[len("unix://"):] if self.host.startswith("unix://") else ""

    @property
    def remote_host(self) -> str:
        """The machine the engine runs on when it is not this one ("" for a socket here or a loopback
        address): its ports, folders and disk are there, out of this machine's reach."""
        if self.socket_path:
            return ""
        host = urlsplit(self.host).hostname or ""
        return "" if host in LOOPBACK else host

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment a compose or docker process needs to reach this same engine."""
        env = dict(os.environ if base is None else base)
        if self.context:
            env["DOCKER_CONTEXT"] = self.context
            env.pop("DOCKER_HOST", None)  # it would win over the context
        return env


def resolve(environ: Mapping[str, str] | None = None) -> Endpoint:
    """The engine the Docker CLI would talk to with this environment; ConfigError (exit 3) on a wrong file."""
    environ = os.environ if environ is None else environ
    host = environ.get("DOCKER_HOST", "")
    if host:
        return Endpoint(host, "DOCKER_HOST")
    config_dir = cli_config_dir(environ)
    name, source = environ.get("DOCKER_CONTEXT", ""), "DOCKER_CONTEXT"
    if not name:
        config = config_dir / "config.json"
        name, source = current_context(config), f"currentContext in {config}"
    if not name or name == DEFAULT_CONTEXT:
        return Endpoint(DEFAULT_HOST, "the default socket")
    return context_endpoint(config_dir, name, source)


@lru_cache(maxsize=8)
def _resolved(host: str, context: str, config: str, home: str) -> Endpoint:
    return resolve({"DOCKER_HOST": host, "DOCKER_CONTEXT": context, "DOCKER_CONFIG": config, "HOME": home})


def current() -> Endpoint:
    """``resolve()`` for this process's environment, read once: one run talks to one engine."""
    get = os.environ.get
    return _resolved(get("DOCKER_HOST", ""), get("DOCKER_CONTEXT", ""), get("DOCKER_CONFIG", ""), get("HOME", ""))


def cli_config_dir(environ: Mapping[str, str]) -> Path:
    if environ.get("DOCKER_CONFIG"):
        return Path(environ["DOCKER_CONFIG"])
    return Path(environ.get("HOME") or Path.home()) / ".docker"


def current_context(config: Path) -> str:
    """``currentContext`` of the CLI config ("" when the file or the key is absent)."""
    data = _read_json(config, missing_ok=True)
    if data is None:
        return ""
    name = data.get("currentContext", "")
    if not isinstance(name, str):
        raise _wrong(config, 0, "the CLI config's currentContext is not a string")
    return name


def context_endpoint(config_dir: Path, name: str, source: str) -> Endpoint:
    """The docker endpoint of context ``name``, from its meta.json (and its TLS folder, if any)."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest / "meta.json"
    data = _read_json(meta, missing_ok=True)
    if data is None:
        raise ConfigError(f"Docker context {name} (from {source}) does not exist: no {meta}",
                          "create it (`docker context create`) or choose another (`docker context use NAME`)")
    if data.get("Name") != name:
        raise _wrong(meta, 0, f"the context's Name is {data.get('Name')!r}, not {name!r}")
    endpoints = data.get("Endpoints")
    docker = endpoints.get("docker") if isinstance(endpoints, dict) else None
    if not isinstance(docker, dict):
        raise _wrong(meta, 0, "the context has no Endpoints.docker")
    host = docker.get("Host")
    if not isinstance(host, str) or not host.startswith(SCHEMES):
        raise _wrong(meta, 0, f"Endpoints.docker.Host is {host!r}, not a unix://, tcp:// or ssh:// address")
    skip = docker.get("SkipTLSVerify", False)
    if not isinstance(skip, bool):
        raise _wrong(meta, 0, "Endpoints.docker.SkipTLSVerify is not true or false")
    tls = config_dir / "contexts" / "tls" / digest / "docker"
    has_tls = any((tls / file).is_file() for file in TLS_FILES)
    return Endpoint(host, source, context=name, tls_dir=str(tls) if has_tls else "", skip_tls_verify=skip)


def _read_json(path: Path, *, missing_ok: bool) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return None
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise _wrong(path, 0, f"cannot be read ({exc.__class__.__name__})") from None
    if not text.strip():
        return None  # the CLI reads an empty config as no config
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _wrong(path, getattr(exc, "lineno", 0), f"not valid JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(data, dict):
        raise _wrong(path, 0, "not a JSON object")
    return data


def _wrong(path: Path, line: int, what: str) -> ConfigError:
    return ConfigError(what, "fix it (the docker CLI reads the same file), or remove it",
                       where=f"{path}:{line}" if line else str(path))


# Where engines other than the system Docker put their sockets when they run (user, then system).
def other_sockets(environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(engine, socket path) of every place another engine may listen, in the order they are tried."""
    environ = os.environ if environ is None else environ
    home = Path(environ.get("HOME") or Path.home())
    runtime = environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return [("Podman", f"{runtime}/podman/podman.sock"), ("Podman", "/run/podman/podman.sock"),
            ("Docker Desktop", str(home / ".docker/desktop/docker.sock")),
            ("Colima", str(home / ".colima/default/docker.sock")),
            ("OrbStack", str(home / ".orbstack/run/docker.sock")),
            ("Rancher Desktop", str(home / ".rd/docker.sock")),
            ("rootless Docker", f"{runtime}/docker.sock")]


def answering_socket(environ: Mapping[str, str] | None = None, *, skip: str = "") -> tuple[str, str] | None:
    """The first other engine's socket that accepts a connection (engine, path), or None."""
    import socket

    for engine, path in other_sockets(environ):
        if path == skip:
            continue
        try:
            if not stat.S_ISSOCK(os.stat(path).st_mode):
                continue
        except OSError:
            continue
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except OSError:
            continue
        finally:
            probe.close()
        return engine, path
    return None


def sdk_client(endpoint: Endpoint | None = None, *, timeout: int = 30) -> Any:
    """A Docker SDK client for this engine (the SDK's ``from_env`` knows no contexts); DockerException if it cannot."""
    import docker

    endpoint = endpoint or current()
    if endpoint.host.startswith("ssh://"):
        # The system's ssh, as the CLI does (the SDK's own, paramiko, ignores ssh's config and agent).
        return docker.DockerClient(base_url=ssh_address(endpoint.host), timeout=timeout, use_ssh_client=True)
    if not endpoint.context:
        # DOCKER_HOST with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, or the default socket: as the CLI reads them.
        return docker.from_env(timeout=timeout)
    tls = None
    if endpoint.tls_dir:
        folder = Path(endpoint.tls_dir)
        ca, cert, key = (folder / name for name in TLS_FILES)
        tls = docker.tls.TLSConfig(client_cert=(str(cert), str(key)) if cert.is_file() and key.is_file() else None,
                                   ca_cert=str(ca) if ca.is_file() else None, verify=not endpoint.skip_tls_verify)
    return docker.DockerClient(base_url=endpoint.host, tls=tls, timeout=timeout)


def ssh_address(host: str) -> str:
    """``ssh://user@box`` with the port ssh itself would use for it. The SDK passes ``-p 22`` for an
    address that names no port, where the CLI passes none and ssh's own config decides (a build
    box on 2222 under ``Host box``): ``ssh -G`` says what ssh would do, without connecting."""
    parts = urlsplit(host)
    if parts.port is not None or not parts.hostname:
        return host
    user = ["-l", parts.username] if parts.username else []
    try:
        told = subprocess.run(["ssh", "-G", *user, "--", parts.hostname], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return host  # no ssh here: connecting fails anyway, in the SDK's words
    port = next((line.split()[1] for line in told.stdout.splitlines() if line.startswith("port ")), "")
    return f"ssh://{parts.netloc}:{port}" if port.isdigit() else host
