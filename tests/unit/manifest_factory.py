"""Write small stack manifests (and the compose files they name) into a temp folder."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_stack(folder: Path, body: str, compose: tuple[str, ...] = ()) -> Path:
    """Write stack.toml with the given body; create each named compose file (empty services)."""
    for name in compose:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("services: {}\n")
    manifest = folder / "stack.toml"
    manifest.write_text(textwrap.dedent(body).lstrip())
    return manifest


def groups_manifest(edges: dict[str, list[str]], name: str = "demo") -> str:
    """A manifest whose groups have the given `after` lists, one compose file each."""
    lines = [f'[stack]\nname = "{name}"\n']
    for group, after in edges.items():
        quoted = ", ".join(f'"{dep}"' for dep in after)
        lines.append(f'[groups.{group}]\ncompose = ["compose/{group}.yml"]\nafter = [{quoted}]\n')
    return "\n".join(lines)
