"""Which instance of its stack a checkout is: the one place the compose project name is decided.

A name recorded in ``.launcher/instance`` (by ``init``, or ``init --instance NAME``)
wins, so a name never changes under a running stack. Otherwise the main checkout
keeps the stack's name; a linked git worktree is ``<stack>-<worktree>``; another
clone whose stack name is already registered for another folder that still exists
is ``<stack>-<branch>`` (or ``<stack>-<folder>`` outside git); a registered instance keeps
its name until it is forgotten (its folder gone, nothing of it left in the engine) or `gc`-ed. Names are valid
compose project names; a derived one already taken elsewhere gets a short hash of
the folder, so two clones on the same branch still differ.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from wizard.core.support import registry
from wizard.core.support.errors import ConfigError
from wizard.core.support.files import STATE_DIR

INSTANCE_FILE = "instance"
INSTANCE_PATTERN = registry.NAME_PATTERN


def recorded_path(root: Path) -> Path:
    return root / STATE_DIR / INSTANCE_FILE


def recorded(root: Path) -> str:
    """The name this checkout was given, or "" when it has none yet. A file that holds no valid
    name is refused (ConfigError), never passed over: a name derived instead would be another
    compose project, a fresh stack beside this checkout's data."""
    path = recorded_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({type(exc).__name__})",
                          "fix its permissions, or delete it to have the name derived again") from None
    name = text.strip()
    if not INSTANCE_PATTERN.fullmatch(name):
        raise ConfigError(f"{path}:1: not an instance name (lowercase letters, digits, '-' and '_', one line)",
                          "write this checkout's instance name there (`launcher ls` lists them), "
                          "or delete the file to have it derived again")
    return name


def record(root: Path, name: str) -> None:
    """Keep ``name`` as this checkout's instance name from now on."""
    from wizard.core.support.files import atomic_write

    if recorded(root) != name:
        atomic_write(recorded_path(root), f"{name}\n".encode("utf-8"), 0o600)


def instance_name(root: Path, stack_name: str) -> str:
    """This checkout's instance name (see the module docstring)."""
    return recorded(root) or derived_name(root, stack_name)


def derived_name(root: Path, stack_name: str) -> str:
    root = root.resolve()
    worktree, branch = _git_place(root)
    try:
        instances = registry.read()
    except ConfigError:
        instances = {}  # a damaged registry must not stop every command; `init` reports it
    if worktree is None:
        owner = instances.get(stack_name)
        # A registered instance whose folder is gone keeps its name until `gc` (its data may remain).
        if owner is None or Path(owner.folder) == root:
            return stack_name
        suffix = branch or root.name
    else:
        suffix = worktree
    name = f"{stack_name}-{slug(suffix)}"
    other = instances.get(name)
    if other is not None and Path(other.folder) != root:
        name = f"{name}-{hashlib.sha256(str(root).encode()).hexdigest()[:6]}"
    return name


def slug(text: str) -> str:
    """``text`` as the tail of a compose project name: lowercase letters, digits, '-' and '_'."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_") or "copy"


def _git_place(root: Path) -> tuple[str | None, str]:
    """(the linked worktree's name, or None in a main checkout or outside git; the branch checked out).

    Read from the files git keeps, not by running git: every command loads the stack.
    """
    for folder in (root, *root.parents):
        dotgit = folder / ".git"
        if dotgit.is_dir():
            return None, _branch(dotgit)
        if dotgit.is_file():
            text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
            gitdir = Path(text.removeprefix("gitdir:").strip())
            gitdir = gitdir if gitdir.is_absolute() else (folder / gitdir).resolve()
            # A linked worktree's git folder is <main>/.git/worktrees/<name>; a submodule's is elsewhere.
            if gitdir.parent.name == "worktrees":
                return folder.name, _branch(gitdir)
            return None, _branch(gitdir)
    return None, ""


def _branch(gitdir: Path) -> str:
    try:
        head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else ""
