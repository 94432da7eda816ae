"""Building the images of services with `build:` before `up` starts anything, with step progress.

Compose builds them (``docker compose --progress plain build SERVICE...``), so
the build args come from the env file exactly as a plain ``docker compose up``
would give them. Its plain progress names each step as ``[service n/m]``; the
steps done over the steps known is the percentage.
"""

from __future__ import annotations

import re
import time
from typing import Iterator, Sequence

from wizard.core.docker.endpoint import current
from wizard.core.docker.protocol import DirectEngine
from wizard.core.support.errors import ImagesUnavailable
from wizard.core.support.events import Event, ImageDone, ImageFailed, ImageProgress, ImagesStarted
from wizard.core.images.inventory import NeededImage

# "#5 [web 2/4] RUN ..." : BuildKit's plain progress, prefixed with the service name by compose.
STEP = re.compile(r"^#\d+ \[(?P<service>[^\s\]]+) (?P<step>\d+)/(?P<steps>\d+)\]")
ERROR = re.compile(r"(?i)\berror\b")


def build(engine: DirectEngine, images: Sequence[NeededImage], *, clock=time.monotonic) -> Iterator[Event]:
    """Build each image once (by its first service); yields progress; raises ImagesUnavailable on failure."""
    import subprocess

    if not images:
        return
    service_image = {item.services[0]: item.image for item in images}
    yield ImagesStarted(action="build", images=tuple(service_image.values()))
    began = clock()
    argv = engine.compose_command("--progress", "plain", "build", *service_image)
    process = subprocess.Popen(argv, cwd=engine.stack.root, env=current().environ(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    steps: dict[str, tuple[int, int]] = {}
    tail: list[str] = []
    try:
        for raw in process.stdout:  # type: ignore[union-attr]
            line = raw.rstrip()
            tail = (tail + [line])[-40:]
            match = STEP.match(line)
            if not match or match["service"] not in service_image:
                continue
            step, total = int(match["step"]), int(match["steps"])
            service = match["service"]
            if step <= steps.get(service, (0, 0))[0]:
                continue
            steps[service] = (step, total)
            done = sum(s for s, _ in steps.values())
            known = sum(t for _, t in steps.values())
            yield ImageProgress(action="build", image=service_image[service], current=step, total=total,
                                overall_current=done, overall_total=known,
                                percent=min(99, done * 100 // known) if known else 0)
        code = process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait()
    if code != 0:
        errors = [line for line in tail if ERROR.search(line)]
        reason = (errors[-1] if errors else (tail[-1] if tail else f"exit code {code}")).strip()
        reason = reason if len(reason) <= 240 else reason[:239] + "…"
        for image in service_image.values():
            yield ImageFailed(action="build", image=image, reason=reason)
        raise ImagesUnavailable(f"could not build {', '.join(service_image.values())}: {reason}",
                                f"see `{engine.by_hand()} build {' '.join(service_image)}`")
    elapsed = round(clock() - began, 2)
    found = engine.image_store.find(list(service_image.values()))
    for image in service_image.values():
        local = found.get(image)
        yield ImageDone(action="build", image=image, size=local.size if local else 0, elapsed=elapsed)
