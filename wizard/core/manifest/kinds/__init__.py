"""Every kind a manifest may name, each declared once, in the family module it belongs to.

A secret kind (``SecretKind``) holds what the manifest must give it, how a value is
generated and what is wrong with a value; a step kind (``StepKind``) holds the
parameters it cannot do without and the function that runs it. ``manifest.stack``
validates the manifest against these registries, ``values.secrets`` generates and checks
values with them and ``seeds.steps`` runs steps with them.

Adding a kind: one entry in a family module below, or a new module listed here.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Iterable, Mapping

from wizard.core.manifest.kinds import hs256, mongo_keyfile, mongo_steps, postgres_steps, randomstrings, supabase_keys
from wizard.core.manifest.kinds.base import MIN_SIGNING_LENGTH, MONGO, POSTGRES, Declared, Problem, SecretKind, StepKind
from wizard.core.manifest.model import SecretSpec, Step

__all__ = ["MIN_SIGNING_LENGTH", "MONGO", "POSTGRES", "SECRET_KINDS", "STEP_KINDS", "Declared", "Problem",
           "SecretKind", "StepKind", "secret_kind", "seed_steps", "step_kind", "steps_on"]

# In the order the manifest check lists them when a kind is unknown.
SECRET_KINDS: Mapping[str, SecretKind] = MappingProxyType({
    kind.name: kind for family in (randomstrings, hs256, mongo_keyfile, supabase_keys) for kind in family.KINDS
})
STEP_KINDS: Mapping[str, StepKind] = MappingProxyType({
    kind.name: kind for family in (postgres_steps, mongo_steps) for kind in family.KINDS
})


def secret_kind(spec: SecretSpec) -> SecretKind:
    """The kind of a loaded secret (the manifest check admits no other name)."""
    return SECRET_KINDS[spec.kind]


def step_kind(step: Step) -> StepKind:
    """The kind of a loaded step (the manifest check admits no other name)."""
    return STEP_KINDS[step.kind]


def steps_on(steps: Iterable[Step], database: str) -> list[Step]:
    """The steps that work on one store (POSTGRES or MONGO), in manifest order."""
    return [step for step in steps if step_kind(step).database == database]


def seed_steps(steps: Iterable[Step], database: str | None = None) -> list[Step]:
    """The steps that load seed data, of one store or of any, in manifest order."""
    return [step for step in steps
            if step_kind(step).seeds and database in (None, step_kind(step).database)]
