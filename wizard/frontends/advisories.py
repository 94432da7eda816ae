"""Doctor's lines for the running pins a record marks with a known advisory (core: lifecycle.advisories)."""

from __future__ import annotations

from typing import Sequence

from wizard.core.lifecycle.advisories import PinAdvisory
from wizard.core.support.events import PreflightCheck

MOVE_HINT = "move the pin in the compose file to a fixed release (its record says which), then `launcher upgrade`"


def advisory_checks(found: Sequence[PinAdvisory] | None) -> list[PreflightCheck]:
    """One warning per affected running service and advisory; one "ok" line when none is (nothing without records)."""
    if found is None:
        return []
    if not found:
        return [PreflightCheck("advisories", "ok", "no running image has a known advisory in the stack's records")]
    return [PreflightCheck(f"advisory {pin.service}", "warn",
                           f"{pin.image}: {pin.advisory.ids}; fixed in {pin.advisory.fixed} ({pin.advisory.record})",
                           MOVE_HINT)
            for pin in found]
