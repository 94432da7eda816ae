"""Every event the core can yield prints as words in plain mode, never as a dataclass repr.

The test walks every ``Event`` subclass in ``wizard.core`` (so a new event is covered the
day it is written), fills its fields with sample values by their types, and renders it
the way plain mode does (through ``ProgressLines``, which `up`, `init --plain` and the
image commands use).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
import typing

import pytest

import wizard.core
from wizard.core.support.events import Event
from wizard.frontends.images import ProgressLines
from wizard.frontends.plain import render_event, renderer_for


def every_event_type() -> list[type]:
    for info in pkgutil.walk_packages(wizard.core.__path__, "wizard.core."):
        importlib.import_module(info.name)
    found, todo = [], [Event]
    while todo:
        klass = todo.pop()
        todo.extend(klass.__subclasses__())
        if klass is not Event and klass.__module__.startswith("wizard."):
            found.append(klass)
    return sorted(found, key=lambda klass: klass.__name__)


def sample(hint) -> object:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return sample(next(arg for arg in args if arg is not type(None)))
    if origin in (tuple, list, typing.Sequence, set, frozenset) or hint in (tuple, list):
        return (sample(args[0]),) if args else ("item",)
    if origin in (dict, typing.Mapping) or hint is dict:
        return {"name": "value"}
    if hint is bool:
        return True
    if hint is int:
        return 50  # past the first 10% step, so throttled progress prints too
    if hint is float:
        return 1.5
    return "word"


def instance(klass: type) -> Event:
    hints = typing.get_type_hints(klass)
    return klass(**{field.name: sample(hints[field.name]) for field in dataclasses.fields(klass) if field.init})


EVENTS = every_event_type()
REPR = re.compile(r"\b[A-Z]\w+\(\w+=")


def test_the_walk_finds_the_events_of_every_core_package():
    names = {klass.__name__ for klass in EVENTS}
    assert {"PreflightCheck", "ImageProgress", "PartProgress", "GroupsCleared", "SecretApplied"} <= names


@pytest.mark.parametrize("klass", EVENTS, ids=lambda klass: klass.__name__)
def test_each_event_type_has_its_own_plain_renderer(klass):
    renderer = renderer_for(klass)
    assert renderer is not None, f"{klass.__name__} has no plain renderer: add one with @renders"


@pytest.mark.parametrize("klass", EVENTS, ids=lambda klass: klass.__name__)
def test_each_event_prints_words_not_a_repr(klass):
    event = instance(klass)
    # Both ways plain mode prints events: the throttled lines of `up` and the image commands,
    # and render_event, which every other renderer falls back to.
    for lines in (ProgressLines().lines(event), render_event(event)):
        assert all(isinstance(line, str) for line in lines)
        assert not any(REPR.search(line) for line in lines), lines
        if klass.__name__ != "Finished":  # a Finished without a summary rightly prints nothing
            assert any(line.strip() for line in lines), f"{klass.__name__} printed nothing"
