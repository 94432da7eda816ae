"""The README is the way in: short, its two commands true, and every link into docs/ lands on a page
and, with an #anchor, on a heading of that page (the id mkdocs gives it), so a newcomer reaches the
common tasks in one click."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

import pytest

from tests.unit.docs_pages import DOCS, REPO, heading_ids, links, section

README = REPO / "README.md"
TWO_COMMANDS = [
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/launcher init && .venv/bin/launcher up",
    "tests/run        # every test; provisions the test bed first (Docker engine, Compose v2, PostgreSQL, local images)",
]
# What a newcomer looks for first: the README links to each in one click, and the section there
# shows the command that does it.
ONE_CLICK = {
    "change a port": ("docs/daily-use.md#change-a-port", "launcher init --set POSTGRES_PORT="),
    "restore a snapshot": ("docs/snapshots.md#restore-a-snapshot", "launcher snapshot restore NAME"),
    "run two worktrees": ("docs/parallel-instances.md#run-two-worktrees-side-by-side", "git worktree add"),
}


def readme_links() -> list[str]:
    return links(README.read_text(encoding="utf-8"))


def docs_links() -> list[str]:
    return sorted({target for target in readme_links() if urlsplit(target).path.startswith("docs/")})


def test_the_readme_is_under_150_lines():
    assert len(README.read_text(encoding="utf-8").splitlines()) < 150


def test_the_readme_opens_with_the_two_commands_and_the_docs_home_repeats_them():
    for page in (README, DOCS / "index.md", DOCS / "getting-started.md"):
        blocks = re.findall(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
        assert blocks and blocks[0].splitlines() == TWO_COMMANDS, page
    assert README.read_text(encoding="utf-8").index("```sh") < 40
    # The test command is the one CI runs on a clean clone.
    assert os.access(REPO / "tests" / "run", os.X_OK)
    assert re.search(r"^tests/run\b", (REPO / ".ci" / "run").read_text(encoding="utf-8"), re.M)


def test_the_readme_links_into_the_docs():
    assert len(docs_links()) >= 10
    assert "docs/images/dashboard.svg" in readme_links()


@pytest.mark.parametrize("target", docs_links())
def test_every_readme_link_into_docs_resolves_to_a_page_and_heading(target):
    parts = urlsplit(target)
    page = REPO / unquote(parts.path)
    assert page.is_file(), f"README links to {parts.path}, which does not exist"
    if parts.fragment:
        assert page.suffix == ".md", target
        assert parts.fragment in heading_ids(page), (
            f"README links to {target}: {parts.path} has no heading with that id "
            f"(it has: {', '.join(sorted(heading_ids(page)))})")


@pytest.mark.parametrize("task", sorted(ONE_CLICK))
def test_the_readme_reaches_each_common_task_in_one_click(task):
    target, command = ONE_CLICK[task]
    assert target in readme_links(), f"the README does not link to {target} ({task})"
    path, anchor = target.split("#")
    assert command in section(REPO / path, anchor), f"{target} does not show how to {task}"


def test_the_link_check_sees_a_broken_anchor(tmp_path):
    """The check itself: a heading that does not exist is not among a page's ids."""
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Restore a `snapshot`\n\n```sh\n# not a heading\n```\n", encoding="utf-8")
    assert heading_ids(page) == {"title", "restore-a-snapshot"}
