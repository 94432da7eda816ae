"""What every command handler needs: the loaded stack, the front end for this run, a question."""

from __future__ import annotations

import os
import sys
from argparse import Namespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wizard.frontends.output import Frontend


def load(args: Namespace):
    """Find and validate the stack manifest named by --stack (or the default)."""
    from wizard.core.manifest.stack import find_manifest, load_stack

    return load_stack(find_manifest(args.stack))


def _json(args: Namespace) -> bool:
    """The one place --json is read: every other decision asks ``frontend`` or ``interactive``."""
    return bool(args.json)


def frontend(args: Namespace) -> Frontend:
    """The front end a command hands results and events to: JSON lines, or plain lines
    (progress bars where a command has them, in a full terminal)."""
    from wizard.frontends.output import JsonLines, PlainLines

    return JsonLines() if _json(args) else PlainLines(bars=use_tui(args))


def interactive(args: Namespace) -> bool:
    """May we ask the user anything? Never under --non-interactive, --json, CI or a pipe."""
    if args.non_interactive or _json(args):
        return False
    if os.environ.get("CI") or os.environ.get("LAUNCHER_NON_INTERACTIVE"):
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


def use_tui(args: Namespace) -> bool:
    """The full-screen Textual front end: only in a real terminal, and not with --plain."""
    return interactive(args) and not args.plain and os.environ.get("TERM", "dumb") != "dumb"


def confirm(args: Namespace, action: str, *, declined_hint: str) -> None:
    """Ask before a destructive action; return when --yes was given or the user says yes.

    Raises Cancelled when nobody can be asked (--non-interactive, --json, CI, a pipe)
    or the answer is not yes. The question goes to stderr: stdout carries data only.
    """
    from wizard.core.support.errors import Cancelled

    if getattr(args, "yes", False):
        return
    if not interactive(args):
        raise Cancelled(f"not confirmed: {action}", "pass --yes to go ahead without being asked")
    sys.stderr.write(f"{action[0].upper()}{action[1:]}? [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise Cancelled(f"declined: {action}", declined_hint)
