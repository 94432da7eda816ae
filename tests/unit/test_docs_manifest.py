"""docs/manifest.md agrees with the parser: it documents every key the manifest parser accepts (and no
other), each with an example that is valid TOML, and every kind."""

from __future__ import annotations

import ast
import re
import tomllib

import pytest

from tests.unit.docs_pages import DOCS, REPO
from wizard.core.manifest.kinds import SECRET_KINDS, STEP_KINDS
from wizard.core.manifest.kinds.settings import SETTING_KINDS
from wizard.core.manifest.reader import ManifestReader
from wizard.core.manifest.stack import load_stack

MANIFEST_PAGE = DOCS / "manifest.md"
def documented() -> dict[str, dict[str, str]]:
    """Each section's keys on the reference page: `## [groups.NAME]` then one `### key` heading each,
    with the text under it."""
    sections: dict[str, dict[str, str]] = {}
    section = key = None
    fenced = False
    for line in MANIFEST_PAGE.read_text(encoding="utf-8").splitlines():
        fenced = fenced != line.startswith("```")
        heading = None if fenced else re.match(r"(#+) ", line)
        if heading:
            level, name = len(heading.group(1)), re.fullmatch(r"#+ `([^`]+)`", line)
            if level <= 2:
                section = key = None
            if level == 2 and name:
                section = re.fullmatch(r"\[(\w+)(?:\.NAME)?\]", name.group(1)).group(1)
                sections[section] = {}
            key = name.group(1) if level == 3 and name and section else None
            if key:
                sections[section][key] = ""
        elif key:
            sections[section][key] += line + "\n"
    return sections


def parser_sections() -> set[str]:
    """The sections the parser accepts: the set it subtracts to find unknown ones (stack.py)."""
    tree = ast.parse((REPO / "wizard/core/manifest/stack.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == \
                ["unknown_sections"]:
            return {element.value for element in node.value.right.elts}
    raise AssertionError("stack.py no longer has `unknown_sections = set(self.data) - {...}`")


@pytest.fixture(scope="module")
def accepted() -> dict[str, set[str]]:
    """The keys the parser accepts in each section, seen while it loads the bundled stack.toml: the
    allowed set it checks a table against, and every key it reads, plus, for steps, the parameters
    every kind declares (the bundled stack has no step of some kinds)."""
    seen: dict[str, set[str]] = {}
    patch = pytest.MonkeyPatch()

    def recording(name):
        original = getattr(ManifestReader, name)

        def record(self, table, raw, key_or_allowed, *rest, **options):
            keys = key_or_allowed if isinstance(key_or_allowed, set) else {key_or_allowed}
            if table:
                seen.setdefault(table[0], set()).update(keys)
            return original(self, table, raw, key_or_allowed, *rest, **options)
        patch.setattr(ManifestReader, name, record)

    for name in ("text", "integer", "names", "unknown_keys"):
        recording(name)
    try:
        load_stack(REPO / "stack.toml")
    finally:
        patch.undo()
    for kind in STEP_KINDS.values():
        seen["steps"].update(kind.required, kind.optional)
    return seen


def test_the_page_has_a_section_for_each_section_the_parser_accepts():
    assert set(documented()) == parser_sections()


def test_every_key_the_parser_accepts_is_documented_and_no_other(accepted):
    pages = documented()
    assert set(accepted) == parser_sections()
    for section, keys in accepted.items():
        missing = keys - set(pages[section])
        assert not missing, f"docs/manifest.md does not document [{section}] key(s): {', '.join(sorted(missing))}"
        extra = set(pages[section]) - keys
        assert not extra, f"docs/manifest.md documents [{section}] key(s) the parser does not take: {extra}"


def test_each_key_comes_with_an_example_in_valid_toml():
    for section, keys in documented().items():
        for key, text in keys.items():
            examples = re.findall(r"```toml\n(.*?)```", text, re.S)
            assert examples, f"[{section}] {key}: no example"
            assert key in keys_set(tomllib.loads(examples[0])), f"[{section}] {key}: the example does not set {key}"


def keys_set(table: dict) -> set[str]:
    """Every key a TOML document sets, at any depth."""
    return set(table).union(*(keys_set(value) for value in table.values() if isinstance(value, dict)))


def test_every_kind_is_documented():
    page = MANIFEST_PAGE.read_text(encoding="utf-8")
    for kind in (*SECRET_KINDS, *STEP_KINDS, *SETTING_KINDS):
        assert re.search(rf"^\| `{re.escape(kind)}` \|", page, re.M), f"kind {kind} is not in a table of kinds"


def test_the_key_check_sees_an_undocumented_key(accepted, monkeypatch):
    """The check itself: a key the parser would accept and the page does not name is found missing."""
    assert "compose" in accepted["groups"]
    monkeypatch.setitem(accepted, "groups", accepted["groups"] | {"undocumented"})
    with pytest.raises(AssertionError, match="undocumented"):
        test_every_key_the_parser_accepts_is_documented_and_no_other(accepted)

