"""The generated reference pages (docs/reference/) are what the code makes of them today."""

from __future__ import annotations

import pytest

from tests.docs.reference import PAGES
from tests.docs.regenerate import ROOT, stale


@pytest.mark.parametrize("path", sorted(PAGES))
def test_page_is_fresh(path):
    checked_in = ROOT / path
    if not checked_in.is_file() or checked_in.read_text(encoding="utf-8") != PAGES[path]():
        pytest.fail(stale(path), pytrace=False)


def test_the_stack_graph_page_draws_every_bundled_group_in_its_wave():
    page = PAGES["docs/reference/stack-graph.md"]()
    assert "```mermaid\nflowchart LR\n" in page
    for line in ('group5["app<br/>wave 2"]', 'group6["web<br/>wave 3"]', "group5 --> group6"):
        assert f"  {line}\n" in page
