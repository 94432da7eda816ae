"""Every error the core raises on purpose.

Each one carries what happened and what to do next; ``cli.py`` turns them into
one line on stderr and the exit code the error's class declares.
"""

from __future__ import annotations

from typing import ClassVar

from wizard.exitcodes import ExitCode


class LauncherError(Exception):
    """An expected failure: a message for the user and a hint for the next step."""

    # Each kind of failure declares its own code, so the mapping cannot drift from the classes.
    exit_code: ClassVar[ExitCode] = ExitCode.ERROR

    def __init__(self, message: str, hint: str = "", *, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # "file:line" when the problem sits in a file the user can open.
        self.where = where

    def one_line(self) -> str:
        """The single line shown to the user, without the ``launcher:`` prefix."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} — {self.hint}" if self.hint else text

    def lines(self) -> list[str]:
        """Every line to show; most errors have exactly one."""
        return [self.one_line()]


class UsageError(LauncherError):
    """The command line itself is wrong (bad flag value, unknown name)."""

    exit_code = ExitCode.USAGE


class ContainerGone(UsageError):
    """A container listed a moment ago has been removed since (a `down` elsewhere, another terminal)."""


class ConfigError(LauncherError):
    """stack.toml, a template or a compose file is wrong: fix the file, not the machine."""

    exit_code = ExitCode.CONFIG


class ManifestInvalid(ConfigError):
    """stack.toml has one or more problems; each is reported on its own line."""

    def __init__(self, problems: list[LauncherError]) -> None:
        super().__init__(problems[0].message, problems[0].hint, where=problems[0].where)
        self.problems = problems

    def lines(self) -> list[str]:
        return [problem.one_line() for problem in self.problems]


class EnvFileError(LauncherError):
    """An existing env file cannot be read (malformed line, unreadable)."""

    exit_code = ExitCode.ENV_FILE


class AnswerMissing(LauncherError):
    """A required value has no answer, no default, and nobody can be asked."""

    exit_code = ExitCode.ANSWER_MISSING


class SecretsCheckFailed(LauncherError):
    """A secret is invalid, mis-signed or a public demo value."""

    exit_code = ExitCode.SECRETS


class DockerUnavailable(LauncherError):
    """The Docker engine does not answer, or Compose is missing or too old."""

    exit_code = ExitCode.DOCKER_UNAVAILABLE


class PreflightFailed(LauncherError):
    """A check before `up` found a blocker (busy port, missing env file, ...)."""

    exit_code = ExitCode.PREFLIGHT


class ImagesUnavailable(PreflightFailed):
    """An image the stack needs is not here and cannot be pulled (--pull never, --offline, no registry)."""


class BundleInvalid(PreflightFailed):
    """An image archive is not one `launcher images save` wrote, or it changed since."""


class NotInitialized(PreflightFailed):
    """The stack has no stored values yet: `launcher init` has not run."""


class Unhealthy(LauncherError):
    """A service did not become healthy in time."""

    exit_code = ExitCode.UNHEALTHY


class SeedFailed(LauncherError):
    """An init step (SQL seed, Mongo replica set or data) failed."""

    exit_code = ExitCode.SEED_FAILED


class StackBusy(LauncherError):
    """Another launcher process holds the stack's lock and did not let go in time."""

    exit_code = ExitCode.BUSY


class Cancelled(LauncherError):
    """The user said no to a confirmation, or pressed Escape in the wizard."""

    exit_code = ExitCode.CANCELLED


class SnapshotInvalid(LauncherError):
    """A snapshot cannot be trusted: corrupt, truncated, of another stack, or will not decrypt."""

    exit_code = ExitCode.SNAPSHOT_INVALID
