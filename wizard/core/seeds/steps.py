"""Init steps by kind: each kind's runner (named in ``wizard.core.manifest.kinds``) lives in its own module,
imported only when it runs.

A runner is a generator ``runner(stack, step, values)`` that yields StepProgress
events, returns a one-line summary and raises SeedFailed. Whether a step was
already done (and so has nothing to apply) is the runner's business, told by
returning its summary as ``NothingToDo`` (StepFinished.skipped): seeds
record what they applied, transactionally, so an interrupted run records nothing
half done. `launch.up` runs every step after its group is healthy, on every `up`.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Callable, Generator, Mapping

from wizard.core.support.errors import ConfigError, SeedFailed
from wizard.core.support.events import Event, StepFailed, StepFinished, StepStarted
from wizard.core.manifest.kinds import STEP_KINDS
from wizard.core.manifest.interpolate import substitute
from wizard.core.manifest.model import Stack, Step


class NothingToDo(str):
    """A runner's summary when the step found everything already in place.

    A ``str`` so callers that only want the summary line need not care.
    """


Runner = Callable[[Stack, Step, Mapping[str, str]], Generator[Event, None, str]]


def runner_for(kind: str) -> Runner:
    """The function that runs steps of this kind."""
    try:
        entry = STEP_KINDS[kind]
    except KeyError:
        raise ConfigError(f"no runner for init step kind {kind!r}",
                          f"use one of: {', '.join(STEP_KINDS)}") from None
    # The module pulls in its database driver: imported only when a step of its kind runs.
    return getattr(import_module(entry.module), entry.function)


def run_step(stack: Stack, step: Step, values: Mapping[str, str],
             runner: Runner | None = None) -> Generator[Event, None, str]:
    """Run one init step, framed by StepStarted and StepFinished (or StepFailed, then the error)."""
    yield StepStarted(step=step.name, kind=step.kind)
    run = runner or runner_for(step.kind)
    try:
        summary = yield from run(stack, step, values)
    except SeedFailed as error:
        yield StepFailed(step=step.name, reason=error.message)
        raise
    skipped = isinstance(summary, NothingToDo)
    summary = summary or "done"
    yield StepFinished(step=step.name, summary=summary, skipped=skipped)
    return summary


def step_text(step, values: Mapping[str, str], key: str, default: str | None = None) -> str:
    """A string step parameter with ``${NAME}`` references resolved."""
    raw = step.params.get(key, default)
    if not isinstance(raw, str):
        raise ConfigError(f"[steps.{step.name}] {key} must be a string",
                          f'write {key} = "..." in stack.toml', where="stack.toml")
    return substitute(raw, values, source=f"stack.toml [steps.{step.name}]")


def step_seconds(step, key: str, default: float) -> float:
    """A positive number of seconds from the step parameters (default when absent)."""
    raw = step.params.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
        raise ConfigError(f"[steps.{step.name}] {key} must be a positive number of seconds",
                          f"write {key} = {default:g} (no quotes)", where="stack.toml")
    return float(raw)


def step_folder(stack: Stack, step: Step, values: Mapping[str, str]) -> Path:
    """The step's ``dir``, ``${NAME}`` resolved, inside the stack folder unless written absolute."""
    return stack.root / step_text(step, values, "dir")
