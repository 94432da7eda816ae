"""Run one init step inside a cluster Job: ``python -m wizard.core.export.jobstep STEP``.

The Kubernetes export's Jobs call this in an image holding the launcher and the
stack folder. Values come from ``LAUNCHER_<NAME>`` variables (the Job maps them
from the stack's Secret), step parameters may be overridden by
``LAUNCHER_STEP_PARAM_<KEY>`` (the in-cluster address of a database), and the
step runs through the same runner as in `launcher up`. Its events go to stdout
as JSON lines, which is what `kubectl logs job/...` shows; the exit code is the
launcher's own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from types import MappingProxyType
from typing import Mapping, Sequence

from wizard.core.export.kubesteps import PARAM_ENV


def step_from_environment(stack, name: str, environ: Mapping[str, str]):
    """The named step with its parameters overridden from the environment."""
    from wizard.core.support.errors import UsageError

    try:
        step = next(step for step in stack.steps if step.name == name)
    except StopIteration:
        raise UsageError(f"no init step named {name!r}", f"use one of: {', '.join(s.name for s in stack.steps)}") from None
    params = dict(step.params)
    for key in list(params):
        override = environ.get(PARAM_ENV + key.upper())
        if override is not None:
            params[key] = override
    return dataclasses.replace(step, params=MappingProxyType(params))


def values_from_environment(stack, environ: Mapping[str, str]) -> dict[str, str]:
    return {name: environ[f"LAUNCHER_{name}"] for name in stack.value_names if f"LAUNCHER_{name}" in environ}


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    from wizard.core.support.errors import LauncherError
    from wizard.core.manifest.stack import load_stack
    from wizard.core.seeds.steps import run_step
    from wizard.exitcodes import exit_code_for

    environ = os.environ if environ is None else environ
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if len(args) != 1:
            from wizard.core.support.errors import UsageError

            raise UsageError("give exactly one init step name", "python -m wizard.core.export.jobstep STEP")
        stack = load_stack(environ.get("LAUNCHER_STACK", "stack.toml"))
        step = step_from_environment(stack, args[0], environ)
        for event in run_step(stack, step, values_from_environment(stack, environ)):
            print(json.dumps(event.to_dict(), default=str), flush=True)
    except LauncherError as error:
        print(json.dumps({"event": "error", "message": error.message, "hint": error.hint}), flush=True)
        return int(exit_code_for(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
