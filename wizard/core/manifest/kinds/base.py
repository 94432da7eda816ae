"""What a kind is: a secret kind (its manifest schema, generator and value check) or a step kind
(the parameters it needs and the function that runs it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping

from wizard.core.manifest.model import SecretSpec

# Supabase refuses shorter JWT secrets; so does the manifest check, for any secret that signs a JWT.
MIN_SIGNING_LENGTH = 32

# One thing wrong with a manifest entry: (message, hint, the key in its table to point at, or
# None to point at the table itself).
Problem = tuple[str, str, "str | None"]


@dataclass(frozen=True)
class Declared:
    """What a secret kind's manifest check may look at besides the entry itself."""

    keys: frozenset[str]  # the keys written in this secret's table
    kinds: Mapping[str, str]  # every declared secret's kind, by name
    signer_min_length: int = 0  # other secrets are signed with this one: the least length it needs

    def key(self, name: str) -> str | None:
        """``name`` when the table writes it (the error points at its line), else None (at the table)."""
        return name if name in self.keys else None


@dataclass(frozen=True)
class SecretKind:
    """A kind of generated value, as the manifest names it in ``kind = "..."``."""

    name: str
    # A fresh value: (spec, the values generated so far (its signer among them), now or None).
    generate: Callable[[SecretSpec, Mapping[str, str], float | None], str]
    # What is wrong with a value of this kind, "" if nothing; never quotes the value.
    problem: Callable[[SecretSpec, str, Mapping[str, str]], str]
    # What is wrong with the manifest entry (besides its kind and the keys every secret may have).
    manifest_problems: Callable[[SecretSpec, Declared], Iterable[Problem]]
    length: tuple[int, int] | None = None  # (least, most) for a kind whose length the manifest sets
    signer_min_length: int = 0  # the manifest wants the secret named in signed_with at least this long
    signs_hs256: bool = False  # its signed_with secret is an HS256 key: `secrets check` wants it long enough
    is_jwt: bool = False  # a JWT with an `exp` claim: described by its public claims, its expiry watched
    role_password: bool = False  # a plain string a database role may take as its password (rotate --apply)
    kept_by_servers: bool = False  # a server stores it when first created and keeps the old one after a rotation
    written_to_file: bool = False  # also written as a file of its own at the secret's `path`


@dataclass(frozen=True)
class StepKind:
    """A kind of init step: what its table must give, and the generator function that runs it.

    The runner lives in ``module`` (imported only when a step of this kind runs, as it
    pulls in its database driver); see ``wizard.core.seeds.steps`` for what a runner does.
    """

    name: str
    required: tuple[str, ...]
    module: str
    function: str
    database: str  # the store it works on: POSTGRES or MONGO
    # The parameters its runner reads when given; any other key of its table is refused as a typo.
    optional: tuple[str, ...] = ()
    seeds: bool = False  # loads a folder of seed data (`dir`) into that store
    # Runs in `launcher upgrade` once the new services are healthy, never in `up`'s waves.
    at_upgrade: bool = False
    # Its uri reaches the store's one node as its admin (the replica-set init): after a major move
    # `launcher upgrade` raises that node's feature compatibility through it.
    admin_node: bool = False


# The stores a step kind may work on.
POSTGRES = "postgres"
MONGO = "mongo"


def length_problems(spec: SecretSpec, declared: Declared, limits: tuple[int, int],
                    suggested: int) -> Iterator[Problem]:
    """A kind with a length: within its limits, and long enough to sign JWTs when it does."""
    low, high = limits
    if not low <= spec.length <= high:
        yield (f"secret {spec.name} length must be between {low} and {high}, not {spec.length}",
               f"set length = {suggested}", declared.key("length"))
    if declared.signer_min_length and spec.length < declared.signer_min_length:
        yield (f"secret {spec.name} signs JWTs: its length must be at least {declared.signer_min_length}, "
               f"not {spec.length}", f"set length = {declared.signer_min_length} or more", declared.key("length"))
