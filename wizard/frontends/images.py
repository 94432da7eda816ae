"""The words of `launcher images` and of image progress: the listing table and percentage lines."""

from __future__ import annotations

from typing import Sequence

from wizard.core.support.events import Event, ImageDone, ImageFailed, ImageProgress, ImagesStarted
from wizard.core.images.inventory import NeededImage
from wizard.frontends.plain import render_event, renders
from wizard.frontends.words import image_doing, image_done

STEP = 10  # plain mode prints a progress line each time a batch passes another 10%


def size_text(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def render_images(stack: str, images: Sequence[NeededImage]) -> str:
    """The images a stack needs as an aligned table, and a one-line summary."""
    table = [["IMAGE", "SERVICES", "SOURCE", "HERE", "SIZE", "DIGEST"]]
    for item in images:
        digest = item.digest or (item.local.id if item.local else "")
        table.append([item.image, ",".join(item.services), "build" if item.build else "registry",
                      "yes" if item.present else "no", size_text(item.local.size if item.local else None),
                      digest[:19] + "…" if len(digest) > 20 else digest or "-"])
    widths = [max(len(row[column]) for row in table) for column in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]
    missing = [item for item in images if not item.present]
    summary = f"stack {stack}: {len(images) - len(missing)} of {len(images)} image(s) here"
    if missing:
        pulls = sum(1 for item in missing if not item.build)
        builds = len(missing) - pulls
        parts = ([f"`launcher images pull` gets {pulls}"] if pulls else []) + \
                ([f"`launcher up` builds {builds}"] if builds else [])
        summary += f" ({'; '.join(parts)})"
    return "\n".join(lines + [summary])


def nothing_to_pull(stack: str) -> str:
    return f"every image {stack} pulls is already here"


class ProgressLines:
    """Plain lines for image events: a line per batch, per image done, and every 10% of a batch.

    Holds the last percentage printed, so a pull of many small updates prints a
    dozen lines, not thousands; every event prints as ``wizard.frontends.plain.render_event`` says.
    """

    def __init__(self) -> None:
        self._next = STEP

    def lines(self, event: Event) -> list[str]:
        if isinstance(event, ImagesStarted):
            self._next = STEP
        elif isinstance(event, ImageProgress):
            if event.percent < self._next:
                return []
            self._next = (event.percent // STEP + 1) * STEP
        return render_event(event)


@renders(ImagesStarted)
def _images_started(event: ImagesStarted) -> list[str]:
    about = f" ({'about ' if event.action == 'save' else ''}{size_text(event.total)})" if event.total else ""
    return [f"{image_doing(event.action)} {len(event.images)} image(s){about}: {', '.join(event.images)}"]


@renders(ImageProgress)
def _image_progress(event: ImageProgress) -> list[str]:
    of = f" ({size_text(event.overall_current)} of {size_text(event.overall_total)})" \
        if event.action != "build" else f" (step {event.overall_current} of {event.overall_total})"
    return [f"  {event.action}: {event.percent}%{of}"]


@renders(ImageDone)
def _image_done(event: ImageDone) -> list[str]:
    size = f" ({size_text(event.size)}, {event.elapsed:.1f}s)" if event.size else f" ({event.elapsed:.1f}s)"
    return [f"  {image_done(event.action)} {event.image}{size}"]


@renders(ImageFailed)
def _image_failed(event: ImageFailed) -> list[str]:
    return [f"  {event.image}: FAILED: {event.reason}"]


class ProgressBars:
    """Image progress in a terminal: a rich bar per image and one for the whole batch.

    Other events print as plain lines above the bars. ``close`` (or leaving the ``with``) stops
    the live display.
    """

    def __init__(self, console=None) -> None:
        from rich.console import Console

        self.console = console or Console()
        self._progress = None
        self._tasks: dict[str, int] = {}
        self._overall = None

    def __enter__(self) -> "ProgressBars":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def show(self, event: Event) -> None:
        self.handle(event)

    def handle(self, event: Event) -> None:
        if isinstance(event, ImagesStarted):
            self._start(event)
        elif isinstance(event, ImageProgress) and self._progress is not None:
            task = self._tasks.get(event.image)
            if task is not None and event.total:
                amount = (f"step {event.current}/{event.total}" if event.action == "build"
                          else f"{size_text(event.current)} of {size_text(event.total)}")
                self._progress.update(task, completed=event.current, total=event.total, amount=amount)
            self._progress.update(self._overall, completed=event.percent,
                                  amount=f"{size_text(event.overall_current)} of {size_text(event.overall_total)}"
                                  if event.action != "build" else "")
        elif isinstance(event, (ImageDone, ImageFailed)) and self._progress is not None:
            task = self._tasks.get(event.image)
            done = isinstance(event, ImageDone)
            word = f"✓ {event.image}" if done else f"✗ {event.image}: {event.reason}"
            if task is not None:
                total = self._progress.tasks[task].total or 1
                self._progress.update(task, description=word, **({"completed": total} if done else {}))
            else:
                self._progress.console.print(f"  {image_done(event.action)} {event.image}"
                                             if done else word, markup=False, highlight=False)
            if done and len(self._tasks) <= 1:
                self._progress.update(self._overall, completed=100)
        else:
            target = self._progress.console if self._progress is not None else self.console
            for line in render_event(event):
                target.print(line, markup=False, highlight=False)

    def _start(self, event: ImagesStarted) -> None:
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        self.close()
        self._progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                                  TaskProgressColumn(), TextColumn("{task.fields[amount]}", markup=False),
                                  console=self.console, transient=False)
        self._progress.start()
        self._overall = self._progress.add_task(f"{image_doing(event.action)} "
                                                f"{len(event.images)} image(s)", total=100, amount="")
        # One image saved or loaded as a whole (an archive) needs no second bar.
        images = event.images if event.action in ("pull", "build") else ()
        self._tasks = {image: self._progress.add_task(f"  {image}", total=None, amount="") for image in images}

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
