"""Exit codes are an API: scripts and CI branch on them, so they never change meaning."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # an unexpected failure (a bug, or an error we did not foresee)
    USAGE = 2  # bad command line (argparse uses 2 as well)
    CONFIG = 3  # stack.toml, a template or a compose file is wrong
    ENV_FILE = 4  # an existing env file is malformed
    ANSWER_MISSING = 5  # --non-interactive and a required value has no answer
    SECRETS = 6  # secrets check failed (demo value, bad signature, wrong length)
    DOCKER_UNAVAILABLE = 7  # engine unreachable, compose missing or too old
    PREFLIGHT = 8  # a blocker found before anything started (busy port, ...)
    UNHEALTHY = 9  # a service did not become healthy
    SEED_FAILED = 10  # an init step failed
    CANCELLED = 11  # the user declined a confirmation
    SNAPSHOT_INVALID = 12  # a snapshot is corrupt, truncated, of another stack, or will not decrypt
    BUSY = 13  # another launcher holds the stack's lock
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


def exit_code_for(error: BaseException) -> ExitCode:
    """Map an exception to the exit code the CLI returns for it."""
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    # The launcher's own errors declare their code (wizard.core.support.errors, which imports this
    # module: looking the attribute up keeps the two out of an import circle). Anything else,
    # including another library's `exit_code`, is a bug.
    code = getattr(error, "exit_code", None)
    return code if isinstance(code, ExitCode) else ExitCode.ERROR
