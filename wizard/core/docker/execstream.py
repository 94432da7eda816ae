"""A program inside a container with its output streamed out, or its input streamed in, via `docker exec`.

The Docker CLI rather than the SDK: its stdin and stdout are plain pipes, so gigabytes
pass through in chunks and never sit in memory, and when the launcher dies the pipes
close (the program in the container sees end of input or a broken pipe). The CLI
is sent to the launcher's own engine (its context, if one). Values
the program needs secretly (PGPASSWORD) pass by name through ``env``, never on a command line.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from typing import Iterable, Iterator, Mapping, Sequence

from wizard.core.docker.endpoint import current
from wizard.core.support.errors import DockerUnavailable

READ_CHUNK = 1 << 20


class ExecStreamFailed(Exception):
    """The program exited non-zero; ``errors`` is what it wrote to stderr."""

    def __init__(self, errors: bytes) -> None:
        super().__init__("the program in the container failed")
        self.errors = errors


def exec_argv(container: str, command: Sequence[str], *, interactive: bool = False, user: str | None = None,
              env_names: Sequence[str] = ()) -> list[str]:
    docker = shutil.which("docker")
    if not docker:
        raise DockerUnavailable(f"the docker command is not on PATH (needed to run {command[0]} inside a container)",
                                "install the Docker CLI")
    options = (["-i"] if interactive else []) + (["-u", user] if user else [])
    for name in env_names:
        options += ["-e", name]
    return [docker, "exec", *options, container, *command]


def stream_out(argv: list[str], env: Mapping[str, str] | None = None) -> Iterator[bytes]:
    """The program's stdout in chunks as it writes them; ExecStreamFailed after the last one if it failed."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors,
                                   env={**current().environ(), **(env or {})})
        try:
            assert process.stdout is not None
            while data := process.stdout.read(READ_CHUNK):
                yield data
        finally:
            if process.poll() is None:
                process.kill()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            raise ExecStreamFailed(errors.read())


def stream_in(argv: list[str], chunks: Iterable[bytes], env: Mapping[str, str] | None = None) -> bytes:
    """Feed ``chunks`` to the program's stdin; returns its stderr, or ExecStreamFailed if it exited non-zero."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
                                   env={**current().environ(), **(env or {})})
        assert process.stdin is not None
        try:
            for data in chunks:
                process.stdin.write(data)
            process.stdin.close()
        except BrokenPipeError:
            pass  # it stopped reading: its exit code and stderr say why
        except BaseException:
            process.kill()
            process.wait()
            raise
        code = process.wait()
        errors.seek(0)
        said = errors.read()
        if code != 0:
            raise ExecStreamFailed(said)
        return said
