"""The two line front ends a command hands its results and events to: JSON lines, or plain lines.

``wizard.commands.context.frontend`` picks one per run (the only place --json is
read); a command then calls ``show`` with a result, or ``stream`` with the core's
events, and never prints itself. The third front end, the full-screen TUI, is
``wizard.tui.app``.
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from typing import Any, Callable, Iterable, Protocol, Sequence, Union

# The plain words of a result: text (printed as one block), lines (each printed; none: nothing),
# or a function returning either, called only when plain words are wanted.
Words = Union[str, Sequence[str], Callable[[], Union[str, Sequence[str]]]]
Lines = Callable[[Any], Sequence[str]]


def print_json(data: Any) -> None:
    """One JSON document (or line) on stdout, flushed so pipes see it at once."""
    print(json.dumps(data, default=str), flush=True)


class Frontend(Protocol):
    """What a command hands its work to."""

    def show(self, data: Any, words: Words = "") -> None:
        """One result: ``data`` (JSON-ready, or what makes it) for --json, ``words`` (or what makes them) for people."""

    def stream(self, events: Iterable[Any], lines: Lines | None = None, *, bars: Callable[[], Any] | None = None,
               errors: tuple[type, ...] = (), finish_on_interrupt: bool = False) -> None:
        """Each event as it comes."""


class JsonLines:
    """--json: stdout carries data only, one JSON document per result, one line per event."""

    def show(self, data: Any, words: Words = "") -> None:
        print_json(data() if callable(data) else data)

    def stream(self, events: Iterable[Any], lines: Lines | None = None, *, bars: Callable[[], Any] | None = None,
               errors: tuple[type, ...] = (), finish_on_interrupt: bool = False) -> None:
        _each(events, lambda event: print_json(event.to_dict()), finish_on_interrupt)
        sys.stdout.flush()


class PlainLines:
    """Lines for a terminal, a pipe or a log; in a full terminal (``bars``) progress may draw bars instead."""

    def __init__(self, *, bars: bool = False) -> None:
        self.bars = bars

    def show(self, data: Any, words: Words = "") -> None:
        if callable(words):
            words = words()
        for line in words if isinstance(words, (list, tuple)) else [words]:
            print(line, flush=True)

    def stream(self, events: Iterable[Any], lines: Lines | None = None, *, bars: Callable[[], Any] | None = None,
               errors: tuple[type, ...] = (), finish_on_interrupt: bool = False) -> None:
        """Each event as its lines (default: image progress every 10%, the rest as plain.render_event).

        ``bars``: a context manager with ``show(event)``, used instead in a full terminal.
        ``errors``: event types whose lines go to stderr. ``finish_on_interrupt``: Ctrl-C
        landing while an event is shown is thrown into the generator, whose last word is shown.
        """
        if self.bars and bars is not None:
            display = bars()
            show = display.show
        else:
            if lines is None:
                from wizard.frontends.images import ProgressLines

                lines = ProgressLines().lines
            display = nullcontext()

            def show(event: Any) -> None:
                stream = sys.stderr if isinstance(event, errors) else sys.stdout
                for line in lines(event):
                    print(line, file=stream, flush=True)

        with display:
            _each(events, show, finish_on_interrupt)
        sys.stdout.flush()


def _each(events: Iterable[Any], show: Callable[[Any], None], finish_on_interrupt: bool) -> None:
    """Show every event. Ctrl-C may land while an event is being shown rather than inside the
    core's generator; with ``finish_on_interrupt`` it is thrown into the generator, so (a restore)
    can still say where it stands before the process ends.
    """
    iterator = iter(events)
    for event in iterator:
        if not finish_on_interrupt:
            show(event)
            continue
        try:
            show(event)
        except KeyboardInterrupt:
            try:
                last = iterator.throw(KeyboardInterrupt())
            except (KeyboardInterrupt, StopIteration):
                raise KeyboardInterrupt from None
            show(last)
            raise
