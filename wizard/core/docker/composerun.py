"""A compose command running in the background, and the pull policies `up` may give it."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

# When compose may pull an image: `launcher up --pull` offers these, ComposeEngine.start checks them.
PULL_POLICIES = ("never", "missing", "always")


class ComposeRun:
    """A compose command running in the background; output kept in a temp file, not a pipe."""

    def __init__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
        import subprocess
        import tempfile

        self.argv = list(argv)
        self._output = tempfile.TemporaryFile()
        self._process = subprocess.Popen(self.argv, cwd=cwd, stdin=subprocess.DEVNULL, env=env,
                                         stdout=self._output, stderr=subprocess.STDOUT)

    def done(self) -> bool:
        return self._process.poll() is not None

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def output(self) -> str:
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace")

    def cancel(self) -> None:
        """Stop compose if it still runs (Ctrl-C or the TUI closing the generator)."""
        import subprocess

        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
