"""Write every generated file of the docs anew: `.venv/bin/python -m tests.docs.regenerate`.

The screenshots (docs/images/), the command reference and the bundled stack's graph
(docs/reference/) are made from the code; tests compare each checked-in file with a
fresh rendering and name this command when one is stale. Give file names to write just
those (`... regenerate docs/images/dashboard.svg`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
COMMAND = ".venv/bin/python -m tests.docs.regenerate"


def generated() -> dict[str, Callable[[], str]]:
    """Each generated file (relative to the repository root) and what renders it."""
    from tests.docs import pictures, reference

    files: dict[str, Callable[[], str]] = {
        f"docs/images/{name}": (lambda name=name: pictures.render(name)) for name in pictures.PICTURES}
    files.update(reference.PAGES)
    return files


def stale(path: str) -> str:
    """The one line a test fails with when a checked-in file differs from a fresh rendering."""
    return f"{path} differs from what the code renders now: run `{COMMAND}` and commit the result"


def main(argv: list[str]) -> int:
    files = generated()
    unknown = [name for name in argv if name not in files]
    if unknown:
        print(f"regenerate: not a generated file: {', '.join(unknown)} (one of: {', '.join(files)})", file=sys.stderr)
        return 2
    for name in argv or files:
        target = ROOT / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[name](), encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
