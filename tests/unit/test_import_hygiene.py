"""Fast start and a core without UI, checked in fresh interpreters."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

HEAVY = ("docker", "pymongo", "psycopg", "supabase", "textual", "questionary", "rich", "jwt", "dotenv")
UI = ("textual", "rich", "questionary")
CORE_DIR = REPO / "wizard" / "core"
# Every module of core, its subpackages (docker/, snapshots/, export/...) included.
CORE = sorted(p for p in CORE_DIR.rglob("*.py") if p != CORE_DIR / "__init__.py")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_id(path: Path) -> str:
    return path.relative_to(CORE_DIR).as_posix()


def modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True, cwd=REPO)
    return set(out.stdout.split())


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["plan", "--help"], ["up", "--help"]])
def test_help_and_version_import_nothing_heavy(argv):
    loaded = modules_after(
        "import sys\nfrom wizard.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
    )
    assert "wizard.cli" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []


@pytest.mark.parametrize("path", CORE, ids=module_id)
def test_core_module_imports_no_ui(path):
    loaded = modules_after(f"import {module_name(path)}")
    assert sorted(m for m in loaded if m.split(".")[0] in UI) == []


@pytest.mark.parametrize("path", CORE, ids=module_id)
def test_core_source_never_names_a_ui_library(path):
    # Catches imports inside functions too, which a plain import check would miss.
    tree = ast.parse(path.read_text())
    named = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            named.add(node.module.split(".")[0])
    assert named.isdisjoint(UI)


def test_command_modules_import_only_the_standard_library_at_top():
    stdlib = set(sys.stdlib_module_names) | {"__future__", "wizard"}
    for path in sorted((REPO / "wizard" / "commands").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            assert set(roots) <= stdlib, f"{path.name} imports {roots} at module level"
