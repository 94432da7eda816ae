"""Where every secret and setting value comes from, and the checks on settings.

Resolution, first match wins, for each declared name:
1. an answer: ``--set NAME=VALUE``, then ``LAUNCHER_NAME`` in the environment,
   then ``--answers FILE``;
2. the existing value: ``.launcher/values.env`` (see ``wizard.core.values.envfiles``),
   else a value adopted from an existing env file (template line ``KEY=${NAME}``)
   or keyfile;
3. for a setting its default; for a secret a newly generated value.
A secret is never regenerated on a re-run unless it is rotated, or it is a JWT
whose signing secret changed in this run (then it is re-signed).

Answers file: ``--answers FILE`` reads TOML when the name ends in ``.toml``
(``NAME = "value"``, numbers and booleans allowed, top level only) and a dotenv
file otherwise (``NAME=value``).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from wizard.core.support.errors import AnswerMissing, EnvFileError, NotInitialized, UsageError
from wizard.core.manifest.kinds.settings import validate_setting
from wizard.core.manifest.stack import SettingSpec, Stack
from wizard.core.support.files import shown_path

ENV_PREFIX = "LAUNCHER_"


@dataclass(frozen=True)
class Answer:
    """A value the user gave, and where it came from (for error messages)."""

    value: str
    source: str  # "--set NAME", "LAUNCHER_NAME" or "answers.toml:3"


@dataclass
class Resolution:
    """Every value, and where each came from: answer, stored, adopted, default, generated, re-signed."""

    values: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def generated(self) -> list[str]:
        return [name for name, origin in self.origins.items() if origin in ("generated", "re-signed")]


# -- answers --------------------------------------------------------------------------


def parse_sets(stack: Stack, items: Iterable[str]) -> dict[str, Answer]:
    """Answers from ``--set NAME=VALUE`` flags; a malformed flag or unknown name is a UsageError."""
    answers = {}
    for item in items:
        name, separator, value = item.partition("=")
        name = name.strip()
        if not separator or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            # Shown only when it is a declared name: a mistyped flag may hold a secret.
            shown = name if name in stack.value_names else "..."
            raise UsageError(f"bad --set {shown}: expected NAME=VALUE", "write it as --set NAME=VALUE")
        _known(stack, name, f"--set {name}")
        answers[name] = Answer(value, f"--set {name}")
    return answers


def answers_from_environ(stack: Stack, environ: Mapping[str, str] | None = None) -> dict[str, Answer]:
    """Answers from ``LAUNCHER_<NAME>`` variables, for declared names only."""
    environ = os.environ if environ is None else environ
    return {name: Answer(environ[ENV_PREFIX + name], ENV_PREFIX + name)
            for name in sorted(stack.value_names) if ENV_PREFIX + name in environ}


def answers_from_file(stack: Stack, path: str | os.PathLike[str]) -> dict[str, Answer]:
    """Answers from a TOML (``*.toml``) or dotenv file; see the module docstring."""
    file = Path(path)
    shown = str(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read answers file {shown}: {exc.strerror}", "check the --answers path") from exc
    except UnicodeDecodeError as exc:
        line = file.read_bytes()[: exc.start].count(b"\n") + 1
        raise UsageError("answers file is not UTF-8 text", "save it as UTF-8", where=f"{shown}:{line}") from None
    if file.suffix == ".toml":
        raw = _toml_answers(text, shown)
    else:
        from wizard.core.values.envfiles import parse_env_text

        try:
            raw = parse_env_text(text, shown).values
        except EnvFileError as exc:
            raise UsageError(exc.message, exc.hint, where=exc.where) from exc
    answers = {}
    for name, value in raw.items():
        where = f"{shown}:{_line_of(text, name)}"
        _known(stack, name, f"answer {name}", where=where)
        answers[name] = Answer(value, where)
    return answers


def _toml_answers(text: str, shown: str) -> dict[str, str]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"answers file {shown} is not valid TOML: {exc}", "fix the syntax") from exc
    answers = {}
    for name, value in data.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif not isinstance(value, str):
            raise UsageError(f"answer {name} must be a string, number or boolean",
                             f'write {name} = "..."', where=f"{shown}:{_line_of(text, name)}")
        answers[name] = value
    return answers


def _line_of(text: str, name: str) -> int:
    pattern = re.compile(rf"^\s*(export\s+)?[\"']?{re.escape(name)}[\"']?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 1


def _known(stack: Stack, name: str, source: str, *, where: str = "") -> None:
    if name in stack.value_names:
        return
    import difflib  # only for a misspelt name: every `up` loads this module

    close = difflib.get_close_matches(name, sorted(stack.value_names), n=1)
    hint = f"did you mean {close[0]}?" if close else "use a name declared under [secrets] or [settings] in stack.toml"
    raise UsageError(f"{source}: unknown name", hint, where=where)


def collect_answers(stack: Stack, *, sets: Iterable[str] = (), answers_file: str | None = None,
                    environ: Mapping[str, str] | None = None) -> dict[str, Answer]:
    """All answers, ``--set`` over ``LAUNCHER_*`` over the answers file."""
    answers: dict[str, Answer] = {}
    if answers_file:
        answers.update(answers_from_file(stack, answers_file))
    answers.update(answers_from_environ(stack, environ))
    answers.update(parse_sets(stack, sets))
    return answers


# -- existing values --------------------------------------------------------------------


def stored_values(stack: Stack) -> dict[str, str] | None:
    """The value store as last written by ``init``, or None if there is none."""
    from wizard.core.values.envfiles import read_env_file, store_path

    store = read_env_file(store_path(stack), shown_path(store_path(stack), stack.root))
    if store is None:
        return None
    _remember_secrets(stack, store.values)
    return dict(store.values)


def _remember_secrets(stack: Stack, values: Mapping[str, str]) -> None:
    """Whatever secret this process holds is masked in every error it may print."""
    from wizard.core.support import redact

    redact.remember(values[spec.name] for spec in stack.secrets if spec.name in values)


def existing_values(stack: Stack) -> dict[str, str]:
    """What a re-run keeps: the store, plus values adopted from hand-made env files."""
    from wizard.core.values.envfiles import adopt_values

    existing = adopt_values(stack)
    existing.update(stored_values(stack) or {})
    return {name: value for name, value in existing.items() if name in stack.value_names}


def current_values(stack: Stack) -> dict[str, str]:
    """Every declared secret and setting value as stored by the last ``init``.

    A setting declared since then gets its default. Raises NotInitialized when
    the stack was never initialized or a value has no source.
    """
    stored = stored_values(stack)
    if stored is None:
        raise NotInitialized(f"stack {stack.name} has no stored values yet", "run `launcher init`")
    values = {}
    for spec in stack.secrets:
        if spec.name in stored:
            values[spec.name] = stored[spec.name]
    for setting in stack.settings:
        if setting.name in stored:
            values[setting.name] = stored[setting.name]
        elif setting.default is not None:
            values[setting.name] = setting.default
    missing = sorted(stack.value_names - values.keys())
    if missing:
        raise NotInitialized(f"no stored value for {', '.join(missing)} (declared since the last init)",
                             "run `launcher init`")
    return values


def prefill(stack: Stack) -> dict[str, str]:
    """What an interactive front end shows as each setting's starting value."""
    from wizard.core.values.portblock import assign_ports

    existing = existing_values(stack)
    values = {spec.name: existing.get(spec.name, spec.default or "") for spec in stack.settings}
    # The ports this instance would get (its block), looked up, not claimed: the answers claim them.
    origins = {name: "stored" if name in existing else "default" for name in values}
    assign_ports(stack, values, origins, dry_run=True)
    return values


# -- resolution -------------------------------------------------------------------------


def resolve_values(stack: Stack, answers: Mapping[str, Answer], existing: Mapping[str, str], *,
                   rotate: Iterable[str] = ()) -> Resolution:
    """Every declared value; see the module docstring for the order.

    Raises UsageError for an answer that fails its check and AnswerMissing for a
    setting with no answer, no existing value and no default (naming every one).
    """
    from wizard.core.values.secrets import format_problem, generate_secret, is_demo, signers, signing_order

    rotate = set(rotate)
    _remember_secrets(stack, {name: answer.value for name, answer in answers.items()})
    result = Resolution()
    missing = []
    for spec in stack.settings:
        if spec.name in answers:
            answer = answers[spec.name]
            result.values[spec.name] = _checked(spec, answer.value, answer.source)
            result.origins[spec.name] = "answer"
        elif spec.name in existing and not _former_default(spec, existing[spec.name]):
            result.values[spec.name] = _checked(spec, existing[spec.name], f"stored value of {spec.name}")
            result.origins[spec.name] = "stored"
        elif spec.default is not None:
            result.values[spec.name] = _checked(spec, spec.default, f"default of {spec.name} in stack.toml")
            result.origins[spec.name] = "default"
        else:
            missing.append(spec.name)
    if missing:
        first = missing[0]
        others = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise AnswerMissing(f"no value for {first}{others}",
                            f"pass --set {first}=VALUE or set {ENV_PREFIX}{first}")

    signing = signers(stack)
    for spec in signing_order(stack):
        name = spec.name
        if name in answers:
            value, origin = answers[name].value, "answer"
        elif name in rotate:
            value, origin = generate_secret(spec, result.values), "generated"
        elif name in existing and not (spec.signed_with and _signer_changed(spec.signed_with, existing, result)):
            value, origin = existing[name], "stored"
        elif name in existing:
            value, origin = generate_secret(spec, result.values), "re-signed"
        else:
            value, origin = generate_secret(spec, result.values), "generated"
        if origin == "answer":
            problem = format_problem(spec, value, result.values, signs_jwt=name in signing)
            if not problem and is_demo(value):
                problem = "is a well-known public demo value"
            if problem:
                # The message names the secret and the rule, never the value.
                raise UsageError(f"{answers[name].source}: {name} {problem}",
                                 f"give a valid value, or leave {name} out to generate one")
        result.values[name] = value
        result.origins[name] = origin
    _remember_secrets(stack, result.values)
    return result


def _former_default(spec, stored: str) -> bool:
    """A stored value that is an earlier default of the stack, not today's: nobody chose it."""
    return spec.default is not None and stored in spec.former_defaults and stored != spec.default


def former_defaults_moved(stack: Stack, existing: Mapping[str, str]) -> tuple[str, ...]:
    """The settings whose stored value `init` moves from an earlier default to today's."""
    return tuple(spec.name for spec in stack.settings
                 if spec.name in existing and _former_default(spec, existing[spec.name]))


def _signer_changed(signer: str, existing: Mapping[str, str], result: Resolution) -> bool:
    return existing.get(signer) != result.values.get(signer)


def _checked(spec: SettingSpec, value: str, source: str) -> str:
    try:
        return validate_setting(spec, value)
    except ValueError as exc:
        raise UsageError(f"{source}: {spec.name} {exc}", f"give {spec.name} a valid {spec.kind} value") from exc


# -- the one way values reach files -------------------------------------------------------


@dataclass(frozen=True)
class InitResult:
    """What an init (or rotation) did: files touched and where each value came from.

    Holds names only, so it can be shown or turned into JSON as it is.
    """

    changes: tuple  # of wizard.core.values.envfiles.OutputChange
    origins: Mapping[str, str]
    dry_run: bool = False
    instance: str = ""  # the compose project these files are for
    port_offset: int = 0  # its block: how far the launcher moved the manifest's ports
    # On a stack initialised before: the secrets and settings declared since, which this run added
    # (new secrets generated, new settings given their answer or default; existing ones kept).
    added: tuple[str, ...] = ()
    # Settings whose stored value was an earlier default of the stack, moved to today's default.
    updated: tuple[str, ...] = ()

    @property
    def generated(self) -> list[str]:
        return [name for name, origin in self.origins.items() if origin in ("generated", "re-signed")]

    def to_dict(self) -> dict[str, object]:
        return {"dry_run": self.dry_run, "files": [change.to_dict() for change in self.changes],
                "origins": dict(self.origins), "instance": self.instance, "port_offset": self.port_offset,
                "added": list(self.added), "updated": list(self.updated)}


def initialize(stack: Stack, answers: Mapping[str, Answer | str], *, dry_run: bool = False,
               rotate: Iterable[str] = ()) -> InitResult:
    """Resolve every value and write every file: what `launcher init` does.

    The one seam every front end calls (non-interactive flags, questionary
    prompts, the Textual wizard) so all of them write exactly the same files.
    ``answers`` maps names to values (plain strings are accepted from prompts);
    ``rotate`` names secrets to regenerate, with the JWTs they sign. Nothing is
    written when any value, template or existing file is wrong; with dry_run
    nothing is written at all and the result says what would change.
    """
    from wizard.core.values.envfiles import write_outputs
    from wizard.core.support.lock import stack_lock
    from wizard.core.manifest.instance import record as record_instance
    from wizard.core.values.portblock import assign_ports
    from wizard.core.values.secrets import rotation_set

    answers = {name: answer if isinstance(answer, Answer) else Answer(answer, f"answer {name}")
               for name, answer in answers.items()}
    for name in answers:
        _known(stack, name, f"answer {name}")
    rotate = tuple(rotate)
    # Read and write under one lock: a concurrent init must not write back what a rotation replaced.
    # A dry run (the wizard's preview) writes nothing, not even the lock file.
    with contextlib.nullcontext() if dry_run else stack_lock(stack.root, "secrets rotate" if rotate else "init"):
        existing = existing_values(stack)
        resolution = resolve_values(stack, answers, existing, rotate=rotation_set(stack, rotate))
        # Only a re-run adds: on the first init every value is new, and none is worth naming as such.
        initialised = stored_values(stack) is not None
        added = tuple(name for name in resolution.values if name not in existing) if initialised else ()
        updated = tuple(name for name in former_defaults_moved(stack, existing)
                        if resolution.origins.get(name) == "default")
        offset = assign_ports(stack, resolution.values, resolution.origins, dry_run=dry_run)
        changes = write_outputs(stack, resolution.values, dry_run=dry_run)
        if not dry_run:
            # Only once the files are written: a refused init leaves the folder as it was.
            record_instance(stack.root, stack.project)
    return InitResult(tuple(changes), dict(resolution.origins), dry_run, stack.project, offset, added, updated)
