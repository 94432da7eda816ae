"""How an error reads: `launcher: <what happened> — <what to do next>` on stderr, or in the TUI.

The CLI (after any command) and the TUI (after the app closed) both print a failure
through ``report``; the TUI's notification shows the same lines through ``error_lines``.
"""

from __future__ import annotations

import os
import sys

from wizard.exitcodes import ExitCode

INTERRUPTED = "interrupted — nothing more was started; run the command again to resume"


def error_lines(error: BaseException) -> list[str]:
    """What happened and what to do, without the `launcher: ` prefix; never a traceback."""
    from wizard.core.support.errors import LauncherError

    if isinstance(error, LauncherError):
        return list(error.lines())
    return [f"unexpected error: {type(error).__name__}: {error} — rerun with LAUNCHER_DEBUG=1 "
            "for the traceback and report it"]


def report(error: BaseException) -> ExitCode:
    """Print an error as `launcher: ...` lines on stderr and return its exit code."""
    from wizard.core.support.errors import ConfigError, LauncherError
    from wizard.core.support.redact import scrub
    from wizard.exitcodes import exit_code_for

    if isinstance(error, OSError) and error.filename:
        # A file system refusal nobody foresaw (full disk, a path in the way): still the
        # user's machine to fix, so one line naming the path rather than a crash.
        error = ConfigError(f"cannot use {error.filename}: {error.strerror}",
                            "check that path, its permissions and the free space, then run the command again")
    if not isinstance(error, LauncherError) and os.environ.get("LAUNCHER_DEBUG"):
        import traceback

        print(scrub("".join(traceback.format_exception(error))), file=sys.stderr, end="")
    for line in error_lines(error):
        print(scrub(f"launcher: {line}"), file=sys.stderr)
    return exit_code_for(error)


def report_interrupted() -> ExitCode:
    print(f"launcher: {INTERRUPTED}", file=sys.stderr)
    return ExitCode.INTERRUPTED


def report_lock_wait(holder) -> None:
    """Said once on stderr while another launcher holds the stack's lock."""
    from wizard.frontends.plain import lock_wait_line

    print(f"launcher: {lock_wait_line(holder)}", file=sys.stderr, flush=True)
