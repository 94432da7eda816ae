"""Behaviour is keyed on a kind's fields, never on its name written as a string outside ``kinds/``.

A comparison with a kind name (``spec.kind == "jwt"``, ``step.kind in ("mongo-seeds", ...)``)
silently skips the next kind that should behave the same: that is how the secret record
came to miss the ES256 keys' expiry. Asking the kind (``secret_kind(spec).is_jwt``) cannot.
"""

from __future__ import annotations

import ast

from tests.conftest import REPO
from wizard.core.manifest.kinds import SECRET_KINDS, STEP_KINDS
from wizard.core.manifest.kinds.settings import SETTING_KINDS

KIND_NAMES = set(SECRET_KINDS) | set(STEP_KINDS) | set(SETTING_KINDS)
KINDS_DIR = REPO / "wizard" / "core" / "manifest" / "kinds"


def names_in(node: ast.AST) -> set[str]:
    """The kind names a literal spells: one string, or a tuple, list or set of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value} & KIND_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(names_in(item) for item in node.elts)) if node.elts else set()
    return set()


def kind_name_comparisons(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any("kind" in ast.unparse(side) for side in sides) and any(names_in(side) for side in sides):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Assign) and names_in(node.value) and any(
                "KIND" in ast.unparse(target) for target in node.targets):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_check_finds_a_kind_name_comparison():
    tree = ast.parse('if spec.kind == "jwt":\n    pass\nSEED_KINDS = ("postgres-seeds", "mongo-seeds")\n'
                     'ok = spec.kind == "nonsense"\n')
    assert sorted(line for line, _ in kind_name_comparisons(tree)) == [1, 3]


def test_no_code_outside_kinds_compares_a_kind_name():
    found = []
    for path in sorted((REPO / "wizard").rglob("*.py")):
        if KINDS_DIR in path.parents:
            continue
        found += [f"{path.relative_to(REPO)}:{line}: {code}"
                  for line, code in kind_name_comparisons(ast.parse(path.read_text()))]
    assert found == []
