"""Every image a stack needs, whether it is here, and pulling what is missing with progress.

The images come from the compose model of the active profiles (``Engine.model``,
cached on disk), so listing them costs one images list call once the model is
known. ``plan_images`` is the check `up` runs before anything starts; ``pull``
streams the engine's own pull progress for several images at once and folds
it into per-image and overall byte counts, yielded as events.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from wizard.core.docker.protocol import Engine
from wizard.core.support.errors import ImagesUnavailable
from wizard.core.support.events import Event, ImageDone, ImageFailed, ImageProgress, ImagesStarted, PreflightCheck
from wizard.core.docker.imagestore import ImageStore, LocalImage

PULL_WORKERS = 4  # images pulled at once; the engine downloads up to 3 layers of each in parallel
PROGRESS_EVERY = 0.5  # seconds: the least time between two progress events when the percent stays put
FIX_HINT = ("on a machine that reaches the registry run `launcher images pull` and `launcher images save FILE`, "
            "then `launcher images load FILE` here")


@dataclass(frozen=True)
class NeededImage:
    """One image the stack needs, the services that run it, and the local copy if there is one."""

    image: str
    services: tuple[str, ...]
    groups: tuple[str, ...]
    build: bool  # built here from a `build:` section rather than pulled
    pull_policy: str
    local: LocalImage | None = None

    @property
    def present(self) -> bool:
        return self.local is not None

    @property
    def digest(self) -> str:
        """The registry digest (sha256:...) when the image came from one, else ""."""
        if self.local is None:
            return ""
        return next((d.split("@", 1)[1] for d in self.local.digests if "@" in d), "")

    def to_dict(self) -> dict[str, Any]:
        return {"image": self.image, "services": list(self.services), "groups": list(self.groups),
                "source": "build" if self.build else "registry", "present": self.present,
                "id": self.local.id if self.local else None, "size": self.local.size if self.local else None,
                "digest": self.digest or None}


def needed_images(engine: Engine, groups: Sequence[str] | None = None) -> list[NeededImage]:
    """The images of the services of ``groups`` (every group when None), each with its local copy."""
    model = engine.model()
    specs = model.services if groups is None else model.in_groups(groups)
    by_image: dict[str, dict[str, Any]] = {}
    for spec in specs:
        if not spec.image:
            continue
        entry = by_image.setdefault(spec.image, {"services": [], "groups": [], "build": False, "policy": ""})
        entry["services"].append(spec.name)
        if spec.group not in entry["groups"]:
            entry["groups"].append(spec.group)
        entry["build"] = entry["build"] or spec.build
        entry["policy"] = entry["policy"] or spec.pull_policy
    if not by_image:
        return []
    found = engine.image_store.find(list(by_image))
    return [NeededImage(image=image, services=tuple(entry["services"]), groups=tuple(entry["groups"]),
                        build=entry["build"], pull_policy=entry["policy"], local=found[image])
            for image, entry in by_image.items()]


@dataclass(frozen=True)
class ImagePlan:
    """What `up` must do about images before starting anything."""

    needed: tuple[NeededImage, ...]
    to_pull: tuple[str, ...] = ()
    to_build: tuple[NeededImage, ...] = ()
    blocked: tuple[NeededImage, ...] = ()  # missing and not allowed to be pulled


def plan_images(needed: Sequence[NeededImage], pull: str) -> ImagePlan:
    """Sort the images into present, to pull, to build and blocked, for a pull policy.

    ``pull``: "never" (also --offline), "missing" or "always". A compose file's own
    ``pull_policy: never`` wins over "missing" and "always" for its service.
    """
    to_pull, to_build, blocked = [], [], []
    for item in needed:
        if item.build:
            if not item.present:
                to_build.append(item)
        elif pull == "never" or item.pull_policy == "never":
            if not item.present:
                blocked.append(item)
        elif not item.present or pull == "always" or item.pull_policy == "always":
            to_pull.append(item.image)
    return ImagePlan(tuple(needed), tuple(to_pull), tuple(to_build), tuple(blocked))


def blocked_error(plan: ImagePlan, why: str) -> ImagesUnavailable:
    names = ", ".join(item.image for item in plan.blocked)
    return ImagesUnavailable(f"{len(plan.blocked)} image(s) not on this machine and {why}: {names}", FIX_HINT)


# --------------------------------------------------------------------------- pulling


@dataclass
class PullTally:
    """Byte counts of one image's pull, folded from the engine's messages.

    The engine reports each layer by id: "Pulling fs layer", then "Downloading"
    with current/total bytes, then "Download complete", "Extracting", "Pull
    complete"; a layer already here says "Already exists" and costs nothing.
    A layer's size is only known once its download starts, so the total grows.
    """

    layers: dict[str, list[int]] = field(default_factory=dict)  # id -> [current, total]
    error: str = ""
    digest: str = ""

    def update(self, message: Mapping[str, Any]) -> None:
        if message.get("error"):
            detail = message.get("errorDetail") or {}
            self.error = str(detail.get("message") or message["error"])
            return
        status = str(message.get("status") or "")
        layer = str(message.get("id") or "")
        detail = message.get("progressDetail") or {}
        if status.startswith("Digest: "):
            self.digest = status[len("Digest: "):]
        if not layer or status.startswith(("Pulling from", "Digest", "Status")):
            return
        counts = self.layers.setdefault(layer, [0, 0])
        if status == "Downloading" and detail.get("total"):
            counts[0], counts[1] = int(detail.get("current") or 0), int(detail["total"])
        elif status in ("Download complete", "Verifying Checksum", "Pull complete", "Extracting") and counts[1]:
            counts[0] = counts[1]

    @property
    def current(self) -> int:
        return sum(counts[0] for counts in self.layers.values())

    @property
    def total(self) -> int:
        return sum(counts[1] for counts in self.layers.values())


_DONE = object()


def pull(store: ImageStore, references: Sequence[str], *, workers: int = PULL_WORKERS,
         clock=time.monotonic) -> Iterator[Event]:
    """Pull ``references`` in parallel; yields progress events; raises ImagesUnavailable if any failed.

    Every pull runs to its end even when another fails, so one run reports
    every image that cannot be had. Closing the generator stops reading (the
    engine finishes or drops a pull on its own).
    """
    references = list(dict.fromkeys(references))
    if not references:
        return
    yield ImagesStarted(action="pull", images=tuple(references))
    import queue  # here: every `up` checks images, few pull one

    messages: queue.Queue = queue.Queue()
    todo: queue.Queue = queue.Queue()
    for reference in references:
        todo.put(reference)
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                reference = todo.get_nowait()
            except queue.Empty:
                return
            try:
                for message in store.pull(reference):
                    if stop.is_set():
                        return
                    messages.put((reference, message))
                messages.put((reference, _DONE))
            except Exception as error:  # noqa: BLE001 - an engine error is this image's failure, reported below
                messages.put((reference, error))

    for _ in range(min(workers, len(references))):
        # Daemon threads: Ctrl-C must not wait for a multi-GB download to finish.
        threading.Thread(target=work, daemon=True).start()
    tallies = {reference: PullTally() for reference in references}
    began = {reference: clock() for reference in references}
    failures: dict[str, str] = {}
    remaining = set(references)
    last_percent, last_time, last_current = -1, 0.0, -1
    try:
        while remaining:
            reference, message = messages.get()
            tally = tallies[reference]
            if message is _DONE or isinstance(message, Exception):
                remaining.discard(reference)
                error = str(message) if isinstance(message, Exception) else tally.error
                if error:
                    failures[reference] = pull_failure(reference, error)
                    yield ImageFailed(action="pull", image=reference, reason=failures[reference])
                else:
                    yield ImageDone(action="pull", image=reference, size=tally.total,
                                    elapsed=round(clock() - began[reference], 2))
                continue
            tally.update(message)
            current = sum(t.current for t in tallies.values())
            total = sum(t.total for t in tallies.values())
            percent = min(100, current * 100 // total) if total else 0
            now = clock()
            if percent != last_percent or (now - last_time >= PROGRESS_EVERY and current != last_current):
                last_percent, last_time, last_current = percent, now, current
                yield ImageProgress(action="pull", image=reference, current=tally.current, total=tally.total,
                                    overall_current=current, overall_total=total, percent=percent)
    finally:
        stop.set()
    if failures:
        shown = "; ".join(f"{reference}: {reason}" for reference, reason in failures.items())
        raise ImagesUnavailable(f"could not pull {len(failures)} image(s): {shown}", FIX_HINT)


def registry_of(reference: str) -> str:
    """The registry host a reference points to (Docker Hub when the first part is no host)."""
    first = reference.split("/", 1)[0]
    if "/" in reference and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def pull_failure(reference: str, text: str) -> str:
    """The engine's pull error, as a short reason naming the registry."""
    registry = registry_of(reference)
    lowered = text.lower()
    for needle, words in (("connection refused", "connection refused"), ("no such host", "no such host"),
                          ("i/o timeout", "timed out"), ("handshake timeout", "timed out"),
                          ("network is unreachable", "network unreachable"), ("timeout", "timed out")):
        if needle in lowered:
            return f"registry {registry} cannot be reached ({words})"
    if "manifest unknown" in lowered or "not found" in lowered:
        return f"no such image on {registry}"
    if "unauthorized" in lowered or "denied" in lowered:
        return f"{registry} refused access (`docker login {registry}` first, if it is private)"
    line = text.strip().splitlines()[-1] if text.strip() else "unknown error"
    return line if len(line) <= 200 else line[:199] + "…"


# --------------------------------------------------------------------------- the check before `up`


def check_images(engine: Engine, groups: Sequence[str], *, pull: str, offline: bool = False) -> Iterator[Event]:
    """Yield the preflight line about images; return the ImagePlan, or raise when one cannot be had.

    Changes nothing: it lists what is here. Pulls and builds happen after every
    check passed (``launch.up``), so a blocked image means nothing was started.
    """
    needed = needed_images(engine, groups)
    plan = plan_images(needed, "never" if offline else pull)
    if plan.blocked:
        why = "--offline is on" if offline else ("--pull is never" if pull == "never"
                                                 else "their compose files say pull_policy: never")
        error = blocked_error(plan, why)
        yield PreflightCheck(check="images", status="fail", detail=error.message, hint=error.hint)
        raise error
    present = sum(1 for item in needed if item.present)
    detail = f"{present} of {len(needed)} here"
    if plan.to_pull:
        detail += f", {len(plan.to_pull)} to pull"
    if plan.to_build:
        detail += f", {len(plan.to_build)} to build"
    yield PreflightCheck(check="images", status="ok", detail=detail)
    return plan
