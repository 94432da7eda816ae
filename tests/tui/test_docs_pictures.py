"""The docs' screenshots (docs/images/) are what the program shows today: each checked-in SVG
equals a fresh rendering of its scene (tests/docs/pictures.py, the snapshot tests' own scenes)."""

from __future__ import annotations

import pytest

from tests.docs.pictures import PICTURES, render
from tests.docs.regenerate import ROOT, stale

pytestmark = pytest.mark.tui


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_picture_is_fresh(name):
    path = f"docs/images/{name}"
    checked_in = ROOT / path
    if not checked_in.is_file() or checked_in.read_text(encoding="utf-8") != render(name):
        pytest.fail(stale(path), pytrace=False)


def test_the_readme_pictures_are_among_them():
    assert {"wizard.svg", "dashboard.svg"} <= set(PICTURES)
