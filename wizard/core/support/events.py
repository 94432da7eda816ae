"""Typed events yielded by the core while it works.

Every front end (plain lines, JSON lines, the Textual app) renders these same
events; none of them runs orchestration of its own. ``to_dict`` gives the JSON
form, and never contains a secret value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Generator


@dataclass(frozen=True)
class Event:
    def to_dict(self) -> dict[str, Any]:
        return {"event": _kebab(type(self).__name__), **asdict(self)}


@dataclass(frozen=True)
class Note(Event):
    """Something worth telling the user that is neither progress nor failure."""

    message: str


@dataclass(frozen=True)
class PreflightCheck(Event):
    """One check before anything starts: status is "ok", "warn" (noted) or "fail" (a blocker).

    The checks of ``wizard.core.lifecycle.checks`` yield these: `up`'s preflight and `doctor` alike.
    """

    check: str
    status: str
    detail: str
    hint: str = ""

    @property
    def name(self) -> str:
        """What was checked ("engine", "port 5432"): doctor's word for ``check``."""
        return self.check


@dataclass(frozen=True)
class GroupSkipped(Event):
    group: str
    reason: str


@dataclass(frozen=True)
class WaveStarted(Event):
    wave: int
    groups: tuple[str, ...]


@dataclass(frozen=True)
class GroupStarting(Event):
    group: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class ServiceProgress(Event):
    """A service's state while waiting: state is created/running/exited, health as Docker says."""

    group: str
    service: str
    state: str
    health: str
    elapsed: float


@dataclass(frozen=True)
class ServiceReady(Event):
    """Healthy, running without a healthcheck, or a one-shot job that exited 0."""

    group: str
    service: str
    how: str  # "healthy" | "running" | "completed" | "already-healthy"
    elapsed: float


@dataclass(frozen=True)
class ServiceFailed(Event):
    group: str
    service: str
    reason: str
    health_log: tuple[str, ...] = ()
    log_tail: tuple[str, ...] = ()
    next_command: str = ""


@dataclass(frozen=True)
class GroupReady(Event):
    group: str
    elapsed: float
    changed: bool  # False when every service was already healthy and nothing was started


@dataclass(frozen=True)
class ServiceChange(Event):
    """What `up` does to one service to bring it to what the files say, and why (never a value).

    action: "create" (no container), "recreate" (``reasons``: the config keys that changed,
    ``environment.FOO``, or ``image``), "scale" (``replicas`` -> ``wanted``), "rebuild" (its
    build's args, Dockerfile or context changed), "start" (a container that is not running),
    "restart" (a dependency it says ``restart: true`` for is recreated) or "nothing".
    """

    group: str
    service: str
    action: str
    reasons: tuple[str, ...] = ()
    replicas: int = 0  # containers now
    wanted: int = 0  # containers the files ask for


@dataclass(frozen=True)
class RecreatingData(Event):
    """`up` is about to recreate a service whose containers hold named volumes (kept, not copied)."""

    service: str
    volumes: tuple[str, ...]


@dataclass(frozen=True)
class StepStarted(Event):
    step: str
    kind: str


@dataclass(frozen=True)
class StepProgress(Event):
    step: str
    message: str


@dataclass(frozen=True)
class SeedFileProgress(StepProgress):
    """One Postgres seed file's fate: applied, reapplied, skipped, would-apply or would-reapply (dry run).

    A StepProgress (``message`` says it in words), so `launcher seed` shows every kind
    of seed progress one way; its JSON form is the ``seed-file`` line `seed postgres` has
    always written. Inside `up` each file is reported as a plain StepProgress.
    """

    path: str = ""
    action: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"event": "seed-file", "path": self.path, "action": self.action, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class StepFinished(Event):
    step: str
    summary: str
    skipped: bool = False  # already done earlier: nothing to apply


@dataclass(frozen=True)
class StepFailed(Event):
    step: str
    reason: str


@dataclass(frozen=True)
class ImagesStarted(Event):
    """A batch of image work begins: action is "pull", "build", "save", "verify" or "load"."""

    action: str
    images: tuple[str, ...]
    total: int = 0  # bytes expected, 0 while unknown


@dataclass(frozen=True)
class ImageProgress(Event):
    """Bytes done for one image and for the whole batch; percent is the batch's (0-100).

    For a build, current/total count build steps rather than bytes.
    """

    action: str
    image: str
    current: int
    total: int
    overall_current: int
    overall_total: int
    percent: int


@dataclass(frozen=True)
class ImageDone(Event):
    action: str
    image: str
    size: int
    elapsed: float


@dataclass(frozen=True)
class ImageFailed(Event):
    action: str
    image: str
    reason: str


@dataclass(frozen=True)
class Finished(Event):
    ok: bool
    elapsed: float
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RotationResumed(Event):
    """`secrets rotate --apply` found an unfinished rotation of this secret and finishes it."""

    secret: str
    pending_file: str


@dataclass(frozen=True)
class SecretApplied(Event):
    """A rotated secret now holds inside its server: the roles changed, never the value itself."""

    secret: str
    target: str  # host:port/database, without the password
    roles: tuple[str, ...]
    already_current: bool = False  # a re-run found the server already on the new value


@dataclass(frozen=True)
class EnvFilesWritten(Event):
    secret: str
    files: tuple[str, ...]
    recreate: tuple[str, ...]  # services whose environment changed and that have a container


def _kebab(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def consume(generator: Generator[Any, Any, Any], each: Callable[[Any], None] = lambda item: None) -> Any:
    """Run a generator of events to its end, handing each item to ``each``; return what it returned.

    The core's steps yield progress and ``return`` their summary: this is how a caller
    that only renders gets both.
    """
    while True:
        try:
            each(next(generator))
        except StopIteration as done:
            return done.value
