"""Load and validate ``stack.toml``, the stack manifest, into frozen dataclasses.

Every problem found is reported, each on its own line with ``file:line``, so a
user fixes a broken manifest in one pass instead of one error per run.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from wizard.core.support.errors import ConfigError, ManifestInvalid
from wizard.core.manifest.graph import find_cycle
from wizard.core.manifest.kinds import POSTGRES, SECRET_KINDS, STEP_KINDS, Declared, StepKind
from wizard.core.manifest.instance import instance_name
from wizard.core.manifest.reader import ManifestReader
from wizard.core.manifest.kinds.settings import SETTING_KINDS, validate_setting
from wizard.core.support.files import STATE_DIR, shown_path
from wizard.core.manifest.model import Group, Output, SecretSpec, SettingSpec, Stack, Step

MANIFEST_NAME = "stack.toml"

NAME_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
GROUP_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def find_manifest(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The manifest to use: the given path, ``$LAUNCHER_STACK``, or ./stack.toml upwards."""
    given = explicit or os.environ.get("LAUNCHER_STACK")
    if given:
        path = Path(given)
        if path.is_dir():
            path = path / MANIFEST_NAME
        if not path.is_file():
            raise ConfigError(
                f"no stack manifest at {path}", "pass --stack PATH to an existing stack.toml"
            )
        return path.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {MANIFEST_NAME} in {here} or any parent folder",
        "run launcher from the stack's folder or pass --stack PATH",
    )


def load_stack(path: str | os.PathLike[str]) -> Stack:
    """Read and validate a manifest; raise ManifestInvalid listing every problem."""
    manifest = Path(path).resolve()
    display = shown_path(manifest, Path.cwd())
    try:
        text = manifest.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {display}: {exc.strerror}", "check the path") from exc
    except UnicodeDecodeError as exc:
        line = manifest.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError("not UTF-8 text", "save the manifest as UTF-8", where=f"{display}:{line}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(*_toml_error(exc), where=_toml_where(display, exc)) from exc
    return _Validator(manifest, display, text, data).build()


def _toml_error(exc: tomllib.TOMLDecodeError) -> tuple[str, str]:
    reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
    return f"invalid TOML: {reason}", "fix the syntax at that line"


def _toml_where(display: str, exc: tomllib.TOMLDecodeError) -> str:
    match = re.search(r"at line (\d+)", str(exc))
    return f"{display}:{match.group(1)}" if match else display


class _Validator(ManifestReader):
    """Turns raw TOML data into a Stack, collecting every problem on the way."""

    def __init__(self, manifest: Path, display: str, text: str, data: dict[str, Any]) -> None:
        super().__init__(display, text, data)
        self.manifest = manifest
        self.root = manifest.parent

    # -- sections --------------------------------------------------------------

    def build(self) -> Stack:
        stack_table = self.table("stack")
        self.unknown_keys(("stack",), stack_table, {"name", "compose_env_output", "description"})
        name = self.text(("stack",), stack_table, "name") or ""
        if not name:
            self.problem("[stack] needs a name (the compose project name)", 'add name = "mystack" under [stack]',
                         ("stack",))
        elif not GROUP_NAME_PATTERN.match(name):
            self.problem(f"stack name {name!r} is not a valid compose project name",
                         "use lowercase letters, digits, '-' and '_'", ("stack",), "name")
        unknown_sections = set(self.data) - {"stack", "groups", "steps", "secrets", "settings", "outputs"}
        for section in sorted(unknown_sections):
            self.problem(f"unknown section [{section}]",
                         "expected stack, groups, steps, secrets, settings or outputs", (section,))

        groups = self.groups()
        steps = self.steps({group.name for group in groups})
        secrets = self.secrets()
        settings = self.settings()
        outputs = self.outputs()
        self.unique_names(groups, steps, secrets, settings)
        self.collisions(groups, secrets, outputs)
        self.applied_secrets(secrets, steps)

        compose_env_output = self.text(("stack",), stack_table, "compose_env_output", "") or ""
        output_names = [output.name for output in outputs]
        if compose_env_output and compose_env_output not in output_names:
            self.problem(f"stack.compose_env_output names unknown output {compose_env_output!r}",
                         f"use one of: {', '.join(output_names) or '(no outputs declared)'}",
                         ("stack",), "compose_env_output")
        elif not compose_env_output and output_names:
            compose_env_output = output_names[0]

        if self.problems:
            raise ManifestInvalid(self.problems)
        return Stack(
            name=name,
            root=self.root,
            manifest=self.manifest,
            groups=tuple(groups),
            steps=tuple(steps),
            secrets=tuple(secrets),
            settings=tuple(settings),
            outputs=tuple(outputs),
            compose_env_output=compose_env_output,
            description=self.text(("stack",), stack_table, "description") or "",
            instance=instance_name(self.root, name),
        )

    def groups(self) -> list[Group]:
        groups = []
        for name, raw in self.entries("groups"):
            table = ("groups", name)
            if not GROUP_NAME_PATTERN.match(name):
                self.problem(f"group name {name!r} is not valid", "use lowercase letters, digits, '-' and '_'", table)
            self.unknown_keys(table, raw, {"compose", "after", "profiles", "requires_paths", "description"})
            compose = self.names(table, raw, "compose")
            if not compose:
                self.problem(f"group {name} has no compose file", 'add compose = ["compose/NAME.yml"]', table)
            for file in compose:
                if not self.inside(table, "compose", file):
                    continue
                if not (self.root / file).is_file():
                    self.problem(f"group {name}: compose file {file} does not exist",
                                 "create it or fix the path (relative to stack.toml)", table, "compose")
            groups.append(Group(
                name=name,
                compose_files=tuple(self.root / file for file in compose),
                after=self.names(table, raw, "after"),
                profiles=self.names(table, raw, "profiles"),
                requires_paths=tuple(self.root / p for p in self.names(table, raw, "requires_paths")
                                     if self.inside(table, "requires_paths", p)),
                description=self.text(table, raw, "description") or "",
            ))
        known = {group.name for group in groups}
        for group in groups:
            for dependency in group.after:
                if dependency not in known:
                    self.problem(f"group {group.name} comes after unknown group {dependency!r}",
                                 f"use one of: {', '.join(sorted(known))}", ("groups", group.name), "after")
                elif dependency == group.name:
                    self.problem(f"group {group.name} comes after itself", "remove it from its own after list",
                                 ("groups", group.name), "after")
        cycle = find_cycle({g.name: [d for d in g.after if d in known and d != g.name] for g in groups})
        if cycle:
            self.problem(f"dependency cycle: {' -> '.join(cycle)}",
                         "remove one of these `after` entries", ("groups", cycle[0]), "after")
        return groups

    def steps(self, group_names: set[str]) -> list[Step]:
        steps = []
        for name, raw in self.entries("steps"):
            table = ("steps", name)
            kind = self.text(table, raw, "kind") or ""
            after = self.text(table, raw, "after") or ""
            if kind not in STEP_KINDS:
                self.problem(f"step {name} has unknown kind {kind!r}",
                             f"use one of: {', '.join(STEP_KINDS)}", table, "kind")
            else:
                for required in STEP_KINDS[kind].required:
                    if required not in raw:
                        self.problem(f"step {name} ({kind}) needs {required}",
                                     f"add {required} = \"...\" to [steps.{name}]", table)
                self.unknown_keys(table, raw, {"kind", "after", "description", *STEP_KINDS[kind].required,
                                               *STEP_KINDS[kind].optional})
            if after not in group_names:
                self.problem(f"step {name} follows unknown group {after!r}",
                             f"set after to one of: {', '.join(sorted(group_names)) or '(no groups)'}",
                             table, "after" if "after" in raw else None)
            if isinstance(raw.get("dir"), str) and "${" not in raw["dir"]:
                self.inside(table, "dir", raw["dir"])
            params = {key: value for key, value in raw.items() if key not in {"kind", "after", "description"}}
            steps.append(Step(name=name, kind=kind, after=after, params=MappingProxyType(params),
                              description=self.text(table, raw, "description") or ""))
        return steps

    def secrets(self) -> list[SecretSpec]:
        secrets = []
        declared = {name: raw.get("kind") for name, raw in self.entries("secrets")}
        floors = self.signer_floors()
        for name, raw in self.entries("secrets"):
            table = ("secrets", name)
            self.value_name(name, table)
            self.unknown_keys(table, raw, {"kind", "length", "signed_with", "role", "issuer", "expires_days",
                                           "path", "description", "apply", "roles", "prefix"})
            kind = self.text(table, raw, "kind") or ""
            if kind not in SECRET_KINDS:
                self.problem(f"secret {name} has unknown kind {kind!r}", f"use one of: {', '.join(SECRET_KINDS)}",
                             table, "kind")
            spec = SecretSpec(
                name=name, kind=kind, length=self.integer(table, raw, "length", 0),
                signed_with=self.text(table, raw, "signed_with") or "",
                role=self.text(table, raw, "role") or "",
                issuer=self.text(table, raw, "issuer") or "",
                expires_days=self.integer(table, raw, "expires_days", 3650),
                path=self.root / raw["path"] if isinstance(raw.get("path"), str)
                and self.inside(table, "path", raw["path"]) else None,
                description=self.text(table, raw, "description") or "",
                apply=self.text(table, raw, "apply") or "",
                roles=self.names(table, raw, "roles"),
                prefix=self.text(table, raw, "prefix") or "",
            )
            if kind in SECRET_KINDS:
                facts = Declared(frozenset(raw), declared, floors.get(name, 0))
                for message, hint, key in SECRET_KINDS[kind].manifest_problems(spec, facts):
                    self.problem(message, hint, table, key)
            secrets.append(spec)
        return secrets

    def signer_floors(self) -> dict[str, int]:
        """For each secret others are signed with: the least length the kinds signed with it ask of it."""
        floors: dict[str, int] = {}
        for _, raw in self.entries("secrets"):
            kind = SECRET_KINDS.get(raw["kind"]) if isinstance(raw.get("kind"), str) else None
            signer = raw.get("signed_with")
            if kind is not None and kind.signer_min_length and isinstance(signer, str):  # else secrets() says what is wrong
                floors[signer] = max(floors.get(signer, 0), kind.signer_min_length)
        return floors

    def settings(self) -> list[SettingSpec]:
        settings = []
        for name, raw in self.entries("settings"):
            table = ("settings", name)
            self.value_name(name, table)
            self.unknown_keys(table, raw, {"kind", "default", "choices", "description", "former_defaults"})
            kind = self.text(table, raw, "kind", "string") or "string"
            if kind not in SETTING_KINDS:
                self.problem(f"setting {name} has unknown kind {kind!r}", f"use one of: {', '.join(SETTING_KINDS)}",
                             table, "kind")
            default = self.setting_value(name, table, raw.get("default"), "default")
            former = raw.get("former_defaults", [])
            if not isinstance(former, list):
                self.problem(f"setting {name} former_defaults must be a list", 'write former_defaults = ["..."]',
                             table, "former_defaults")
                former = []
            formers = tuple(text for text in (self.setting_value(name, table, item, "former_defaults")
                                              for item in former) if text is not None)
            spec = SettingSpec(name=name, kind=kind, default=default, choices=self.names(table, raw, "choices"),
                               description=self.text(table, raw, "description") or "", former_defaults=formers)
            if default is not None and kind in SETTING_KINDS:
                self.default_fits(spec, table)
            settings.append(spec)
        return settings

    def setting_value(self, name: str, table: tuple[str, ...], value, key: str) -> str | None:
        """A setting's value as written in stack.toml (string, number or boolean) as the text it stores."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if value is not None and not isinstance(value, str):
            self.problem(f"setting {name} {key} must be a string, number or boolean", f'write {key} = "..."',
                         table, key)
            return None
        return value

    def outputs(self) -> list[Output]:
        outputs = []
        paths: dict[Path, str] = {}
        for name, raw in self.entries("outputs"):
            table = ("outputs", name)
            self.unknown_keys(table, raw, {"template", "path", "description"})
            template = self.text(table, raw, "template") or ""
            path = self.text(table, raw, "path") or ""
            if not template or not path:
                self.problem(f"output {name} needs template and path",
                             'add template = "envtemplates/x.env" and path = ".env"', table)
                continue
            if not self.inside(table, "template", template) or not self.inside(table, "path", path):
                continue
            if not (self.root / template).is_file():
                self.problem(f"output {name}: template {template} does not exist",
                             "create it or fix the path (relative to stack.toml)", table, "template")
            resolved = self.root / path
            if resolved in paths:
                self.problem(f"outputs {paths[resolved]} and {name} both write {path}",
                             "give each output its own path", table, "path")
            elif resolved.is_symlink():
                self.problem(f"output {name}: {path} is a symbolic link",
                             "replace the link with a plain file, or write the output elsewhere", table, "path")
            paths[resolved] = name
            outputs.append(Output(name=name, template=self.root / template, path=resolved,
                                  description=self.text(table, raw, "description") or ""))
        return outputs

    # -- paths -------------------------------------------------------------------

    def inside(self, table: tuple[str, ...], key: str, relative: str) -> bool:
        """Whether a path named in the manifest stays inside the stack folder (reported if not).

        Relative, no ``..``, and no symbolic link on the way that leads out: the
        launcher reads and writes only what belongs to the stack.
        """
        path = Path(relative)
        if path.is_absolute() or ".." in path.parts:
            self.problem(f"{'.'.join(table)}.{key} = {relative!r} points outside the stack folder",
                         "use a path relative to stack.toml, without '..'", table, key)
            return False
        try:
            resolved = (self.root / path).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            resolved = None
        if resolved is None or not resolved.is_relative_to(self.root.resolve()):
            self.problem(f"{'.'.join(table)}.{key} = {relative!r} leads outside the stack folder "
                         "through a symbolic link", "point it at a real path inside the stack folder", table, key)
            return False
        return True

    def collisions(self, groups: list[Group], secrets: list[SecretSpec], outputs: list[Output]) -> None:
        """A generated file may not overwrite the manifest, a template, a compose file,
        the launcher's own state, .gitignore or another generated file."""
        protected: dict[Path, str] = {self.manifest: "the manifest", self.root / ".gitignore": ".gitignore"}
        for group in groups:
            protected.update((file, f"a compose file of group {group.name}") for file in group.compose_files)
        for output in outputs:
            protected[output.template] = f"the template of output {output.name}"
        written: dict[Path, str] = {}
        targets = [(("outputs", o.name), "path", o.path, f"output {o.name}") for o in outputs]
        targets += [(("secrets", s.name), "path", s.path, f"secret {s.name}") for s in secrets if s.path]
        for table, key, path, owner in targets:
            relative = path.relative_to(self.root)
            clash = protected.get(path) or written.get(path)
            if relative.parts[:1] == (STATE_DIR,):
                clash = f"the launcher's own state in {STATE_DIR}/"
            # Two outputs on one path are already reported by outputs().
            if clash and not (owner.startswith("output ") and clash.startswith("output ")):
                self.problem(f"{owner} would overwrite {clash} ({relative})", "give it a path of its own",
                             table, key)
            written.setdefault(path, owner)
        for table, key, path, owner in targets:
            inner = next((other for other_path, other in written.items() if other_path.is_relative_to(path)
                          and other_path != path), None)
            if inner:
                self.problem(f"{owner} writes {path.relative_to(self.root)}, the folder {inner} is written into",
                             "give it a path of its own", table, key)

    def default_fits(self, spec: SettingSpec, table: tuple[str, ...]) -> None:
        try:
            validate_setting(spec, spec.default or "")
        except ValueError as reason:
            self.problem(f"setting {spec.name} default {reason}", f"give a default that is a valid {spec.kind}",
                         table, "default")

    # -- cross checks ------------------------------------------------------------

    def value_name(self, name: str, table: tuple[str, ...]) -> None:
        if not NAME_PATTERN.match(name):
            self.problem(f"{table[0]} name {name!r} must be UPPER_SNAKE_CASE",
                         "env variable names are upper case letters, digits and _", table)

    def applied_secrets(self, secrets: list[SecretSpec], steps: list[Step]) -> None:
        """`apply` names a Postgres step (its dsn reaches the server) and comes with `roles`."""
        kinds = {step.name: step.kind for step in steps}
        for spec in secrets:
            table = ("secrets", spec.name)
            if spec.roles and not spec.apply:
                self.problem(f"secret {spec.name} lists roles but no apply step",
                             'add apply = "<the postgres-seeds step that reaches the server>"', table, "roles")
            if not spec.apply:
                continue
            if spec.apply not in kinds:
                self.problem(f"secret {spec.name} applies through unknown step {spec.apply!r}",
                             f"use one of: {', '.join(sorted(kinds)) or '(no steps declared)'}", table, "apply")
            elif not _loads_postgres_seeds(STEP_KINDS.get(kinds[spec.apply])):
                self.problem(f"secret {spec.name}: step {spec.apply} is a {kinds[spec.apply]} step; "
                             "rotate --apply reaches Postgres only", "name a postgres-seeds step", table, "apply")
            if not spec.roles:
                self.problem(f"secret {spec.name} applies to a database but names no roles",
                             'add roles = ["postgres"] (the roles whose password it is)', table, "apply")

    def unique_names(self, groups: list[Group], steps: list[Step], secrets: list[SecretSpec],
                     settings: list[SettingSpec]) -> None:
        group_names = {group.name for group in groups}
        for step in steps:
            if step.name in group_names:
                self.problem(f"step {step.name} has the same name as a group",
                             "rename the step: plan output names both", ("steps", step.name))
        secret_names = {secret.name for secret in secrets}
        for setting in settings:
            if setting.name in secret_names:
                self.problem(f"{setting.name} is declared both as a secret and as a setting",
                             "keep only one declaration", ("settings", setting.name))


def _loads_postgres_seeds(kind: StepKind | None) -> bool:
    """Whether a step of this kind (None: unknown, reported already) reaches a Postgres server."""
    return kind is not None and kind.seeds and kind.database == POSTGRES
