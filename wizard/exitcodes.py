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
    # Imported here so `launcher --version` stays import-light.
    from wizard.core import errors

    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    table: list[tuple[type[BaseException], ExitCode]] = [
        (errors.UsageError, ExitCode.USAGE),
        (errors.ConfigError, ExitCode.CONFIG),
        (errors.EnvFileError, ExitCode.ENV_FILE),
        (errors.AnswerMissing, ExitCode.ANSWER_MISSING),
        (errors.SecretsCheckFailed, ExitCode.SECRETS),
        (errors.DockerUnavailable, ExitCode.DOCKER_UNAVAILABLE),
        (errors.PreflightFailed, ExitCode.PREFLIGHT),
        (errors.Unhealthy, ExitCode.UNHEALTHY),
        (errors.SeedFailed, ExitCode.SEED_FAILED),
        (errors.Cancelled, ExitCode.CANCELLED),
        (errors.SnapshotInvalid, ExitCode.SNAPSHOT_INVALID),
        (errors.StackBusy, ExitCode.BUSY),
    ]
    for kind, code in table:
        if isinstance(error, kind):
            return code
    return ExitCode.ERROR
