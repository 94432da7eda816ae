"""Ports that never clash between instances: one block per instance, claimed in the registry.

Every port setting an instance did not choose itself (its value is the manifest's
default, moved by the instance's current offset) moves by the same offset, so
54321/54322/54323 become 54421/54422/54423 and stay recognisable. The first offset
(the one the instance had, then 0, 100, 200, ...) whose ports no other registered
instance claims and no process holds wins, and is recorded in the registry before
its lock is released: two ``init``s racing in two worktrees never get the same block.
An answer (``--set``, ``LAUNCHER_*``, an answers file) or a stored value the user
chose is kept as it is, and claimed too.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, MutableMapping

from wizard.core.manifest.kinds.settings import setting_kind
from wizard.core.manifest.model import SettingSpec, Stack
from wizard.core.support import registry
from wizard.core.support.errors import ConfigError
from wizard.core.support.ports import port_free

BLOCK = 100
MAX_BLOCKS = 100


def assign_ports(stack: Stack, values: MutableMapping[str, str], origins: MutableMapping[str, str], *,
                 dry_run: bool = False) -> int:
    """Move this instance's managed port settings into a free block; record it unless ``dry_run``.

    Changes ``values`` (and marks the moved settings' origin "port block") in place;
    returns the offset chosen.
    """
    with _registry(dry_run) as instances:
        me = instances.get(stack.project)
        before = me.offset if me else 0
        ports = [spec for spec in stack.settings if setting_kind(spec).is_port]
        managed = [spec for spec in ports if _managed(spec, values, origins, before)]
        # A value not yet checked (the wizard's starting values) that is no port claims nothing.
        numbers = {spec.name: int(values[spec.name]) for spec in ports if str(values.get(spec.name, "")).isdigit()}
        fixed = {numbers[spec.name] for spec in ports if spec not in managed and spec.name in numbers}
        claimed = {port for name, entry in instances.items() if name != stack.project for port in entry.ports.values()}
        holding = {numbers[spec.name] for spec in managed if origins.get(spec.name) == "stored"}
        offset = _first_free_block(managed, before, holding=holding, unavailable=claimed | fixed)
        for spec in managed:
            moved = str(int(spec.default or 0) + offset)
            if moved != values[spec.name]:
                values[spec.name], origins[spec.name] = moved, "port block"
        instances[stack.project] = registry.Instance(
            name=stack.project, stack=stack.name, folder=str(stack.root), offset=offset,
            ports={name: int(values[name]) for name in numbers}, last_up=me.last_up if me else "")
    return offset


@contextmanager
def _registry(dry_run: bool) -> Iterator[dict[str, registry.Instance]]:
    if dry_run:
        yield registry.read()  # looked at, never written
        return
    with registry.changing("init") as instances:
        yield instances


def _managed(spec: SettingSpec, values, origins, offset: int) -> bool:
    """Whether the launcher places this setting: its value is the default, moved by the current offset."""
    # A privileged or odd default (80, 0) is not one a block could move: it stays as the user has it.
    if origins.get(spec.name) == "answer" or not (spec.default or "").isdigit() \
            or not 1024 <= int(spec.default) <= 65535:
        return False
    return values.get(spec.name) in (spec.default, str(int(spec.default) + offset))


def _first_free_block(managed: list[SettingSpec], before: int, *, holding: set[int], unavailable: set[int]) -> int:
    """The first offset whose every moved port is usable: the current one, then 0, 100, 200, ..."""
    candidates = dict.fromkeys([before, *range(0, BLOCK * MAX_BLOCKS, BLOCK)])
    for offset in candidates:
        wanted = [int(spec.default or 0) + offset for spec in managed]
        # Ports this checkout already uses (stored by its last init) may be held by its own containers.
        if all(port <= 65535 and port not in unavailable
               and ((offset == before and port in holding) or port_free(port)) for port in wanted):
            return offset
    raise ConfigError(f"no free block of ports found in {MAX_BLOCKS} tries",
                      "free some ports (`launcher ls`, `launcher gc`) or pass --set NAME=PORT for each port")
