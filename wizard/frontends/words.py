"""The words for each state, in one place: plain lines, the prompts and the TUI screens look them up here.

A state (a check's status, a port's, what writing does to a file, an image
action) has one row here with each rendering of it, so a new state or a new
rendering is one edit.
"""

from __future__ import annotations

from typing import NamedTuple


class Word(NamedTuple):
    plain: str  # plain lines and the questionary prompts
    tui: str  # the full-screen screens


# A check's status (doctor, preflight).
CHECK_STATES = {"ok": Word("ok  ", "✓"), "warn": Word("warn", "!"), "fail": Word("FAIL", "✗")}

# A published port, as the init wizard checks it.
PORT_STATES = {"ok": Word("ok", "✓"), "busy": Word("BUSY", "✗"), "duplicate": Word("DUPLICATE", "✗"),
               "invalid": Word("INVALID", "✗")}


class FileAction(NamedTuple):
    done: str  # after writing
    dry_run: str  # what writing would do
    tui: str  # the review screen's Action column


# What writing the env files does to one file (``FileChange.action``).
FILE_ACTIONS = {
    "create": FileAction("created", "would create", "create"),
    "update": FileAction("updated", "would update", "update"),
    "chmod": FileAction("fixed mode of", "would fix mode of", "fix mode"),
    "unchanged": FileAction("unchanged", "unchanged", "unchanged"),
}


class ImageAction(NamedTuple):
    doing: str
    done: str


# An image action (``ImagesStarted.action`` and the rest).
IMAGE_ACTIONS = {
    "pull": ImageAction("pulling", "pulled"),
    "build": ImageAction("building", "built"),
    "save": ImageAction("saving", "saved"),
    "verify": ImageAction("verifying", "verified"),
    "load": ImageAction("loading", "loaded"),
}

# How a service became ready (``ServiceReady.how``), on the up screen.
READY_STATES = {"healthy": "✓ healthy", "running": "✓ running", "completed": "✓ completed",
                "already-healthy": "✓ already up"}


def check_mark(status: str) -> str:
    """The plain mark of a check's status; an unknown status is shown as itself."""
    return CHECK_STATES[status].plain if status in CHECK_STATES else status


def check_symbol(status: str) -> str:
    return CHECK_STATES[status].tui if status in CHECK_STATES else "·"


def file_action(action: str, *, dry_run: bool) -> str:
    return FILE_ACTIONS[action].dry_run if dry_run else FILE_ACTIONS[action].done


def image_doing(action: str) -> str:
    return IMAGE_ACTIONS[action].doing if action in IMAGE_ACTIONS else action


def image_done(action: str) -> str:
    return IMAGE_ACTIONS[action].done if action in IMAGE_ACTIONS else action


def image_done_symbol(action: str) -> str:
    return f"✓ {IMAGE_ACTIONS[action].done}" if action in IMAGE_ACTIONS else "✓ done"


def ready_symbol(how: str) -> str:
    return READY_STATES.get(how, f"✓ {how}")
