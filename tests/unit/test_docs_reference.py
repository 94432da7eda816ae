"""The generated reference pages (docs/reference/) are what the code makes of them today."""

from __future__ import annotations

import pytest

from tests.docs.reference import PAGES
from tests.docs.regenerate import ROOT, stale
from wizard.commands.examples import EXAMPLES


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


def test_the_command_reference_has_every_command_with_its_usage_and_examples():
    from tests.unit.test_help_examples import ALL

    page = PAGES["docs/reference/commands.md"]()
    for command, parser in ALL.items():
        section = page.partition(f"\n## {' '.join(('launcher', *command.split()))}\n")[2].partition("\n## ")[0]
        assert section, command
        assert f"usage: {parser.prog}" in section
        assert "\n".join(line for line, _ in EXAMPLES[command]) in "\n".join(
            line for line in section.splitlines() if line.startswith("launcher"))
