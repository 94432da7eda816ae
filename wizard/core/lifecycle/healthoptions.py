"""Healthcheck options compose refuses before it creates a container: a configuration error, found first.

Compose converts a service's healthcheck when it creates the container (its ``convert.go``)
and refuses ``start_interval`` on an engine older than 25 (API 1.44), and everywhere without
``start_period``. Left to compose, that refusal comes mid-start and reads as a service that
never became healthy; here it is found before anything starts and named as the file's problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from wizard.core.docker.model import ServiceSpec
from wizard.core.docker.protocol import Engine
from wizard.core.manifest.stack import Stack
from wizard.core.support.errors import ConfigError
from wizard.core.support.files import shown_path

START_INTERVAL_API = (1, 44)  # Docker Engine 25


def check_healthcheck_options(stack: Stack, engine: Engine, specs: Sequence[ServiceSpec]) -> None:
    """ConfigError (exit 3) for the first service whose healthcheck compose would refuse (asks the
    engine its API version only when a healthcheck sets ``start_interval``)."""
    for spec in specs:
        if not spec.start_interval:
            continue
        api = str(engine.versions().get("api") or "")
        if _older(api, START_INTERVAL_API):
            raise ConfigError(f"service {spec.name}: can't set healthcheck.start_interval as feature require "
                              f"Docker Engine v25 or later (this engine speaks API {api})",
                              "remove start_interval from its healthcheck, or run Docker Engine 25 or later",
                              where=_where(stack, spec))
        if not spec.start_period_set:
            raise ConfigError(f"service {spec.name}: healthcheck.start_interval requires healthcheck.start_period "
                              "to be set", "add start_period to its healthcheck", where=_where(stack, spec))


def _older(api: str, wanted: tuple[int, int]) -> bool:
    parts = re.match(r"(\d+)\.(\d+)", api)
    return parts is not None and (int(parts.group(1)), int(parts.group(2))) < wanted


def _where(stack: Stack, spec: ServiceSpec) -> str:
    """file:line of the service's ``start_interval`` in its group's compose files ("" when not found)."""
    group = next((group for group in stack.groups if group.name == spec.group), None)
    for path in group.compose_files if group is not None else ():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        declared = next((i for i, line in enumerate(lines) if re.match(rf"\s+{re.escape(spec.name)}\s*:", line)), None)
        if declared is None:
            continue
        for number, line in enumerate(lines[declared:], start=declared + 1):
            if "start_interval" in line:
                return f"{shown_path(path, Path.cwd())}:{number}"
    return ""
