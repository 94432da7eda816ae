"""The documentation site's pages as mkdocs reads them: the Markdown extensions of mkdocs.yml, and
the id each heading gets (Python-Markdown's toc extension, mkdocs' own slugify)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import markdown
from mkdocs.config import load_config

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


@functools.cache
def _extensions() -> tuple[list, dict]:
    config = load_config(config_file=str(REPO / "mkdocs.yml"))
    return list(config["markdown_extensions"]), dict(config["mdx_configs"])


def render(text: str) -> markdown.Markdown:
    """A Markdown converter that has converted ``text``: ``toc_tokens`` and the HTML in ``html``."""
    extensions, configs = _extensions()
    converter = markdown.Markdown(extensions=extensions, extension_configs=configs)
    converter.html = converter.convert(text)
    return converter


@functools.cache
def heading_ids(page: Path) -> frozenset[str]:
    """Every anchor a link may name on a page: the id mkdocs gives each of its headings."""
    found: set[str] = set()
    stack = list(render(page.read_text(encoding="utf-8")).toc_tokens)
    while stack:
        token = stack.pop()
        found.add(token["id"])
        stack.extend(token["children"])
    return frozenset(found)


def links(text: str) -> list[str]:
    """The targets of every link and image of a Markdown text, as rendered (code spans hold none)."""
    return re.findall(r'(?:href|src)="([^"]+)"', render(text).html)


def section(page: Path, anchor: str) -> str:
    """The Markdown under the heading whose id is ``anchor``, up to the next heading as high or higher."""
    lines = page.read_text(encoding="utf-8").splitlines()
    headings = _headings(lines)
    for number, (start, level, line) in enumerate(headings):
        if _id_of(line) == anchor:
            end = next((i for i, other, _ in headings[number + 1:] if other <= level), len(lines))
            return "\n".join(lines[start:end])
    raise AssertionError(f"{page.relative_to(REPO)} has no heading #{anchor}")


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, line) of each heading, leaving out `#` lines inside fenced code."""
    found, fenced = [], False
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else re.match(r"(#+) ", line)
        if match:
            found.append((index, len(match.group(1)), line))
    return found


def _id_of(heading_line: str) -> str:
    (token,) = render(heading_line).toc_tokens
    return token["id"]
