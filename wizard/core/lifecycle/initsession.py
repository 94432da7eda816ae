"""The answers of one interactive `launcher init`, shared by the Textual wizard and the prompts.

Both interactive front ends walk the same steps (welcome, services, ports and
settings, secrets, data, review) over one ``InitSession``. It only holds answers
and asks the core: values come from ``wizard.core.values.resolution``, secrets from the
generators in ``wizard.core.values.secrets``, port checks from ``wizard.core.lifecycle.checks``,
and the files are written by ``wizard.core.values.resolution.initialize``, the same seam
`launcher init --non-interactive` uses. Nothing here prints or draws.

Secrets shown in the wizard are the ones written: a value the run generates is
generated once, up front, and then passed to ``initialize`` as an answer, so
"reveal" shows exactly what lands in the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from wizard.core.support.events import Event

from wizard.core.manifest.kinds.settings import setting_kind
from wizard.core.manifest.stack import SecretSpec, SettingSpec, Stack
from wizard.core.manifest.kinds import MONGO, POSTGRES, secret_kind, seed_steps, step_kind
from wizard.core.support.files import shown_path

MONGO_SCHEMES = ("mongodb://", "mongodb+srv://")


# A setting of this name, when the manifest declares one, keeps the chosen profiles.
PROFILES_SETTING = "COMPOSE_PROFILES"


def _split_profiles(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


@dataclass(frozen=True)
class GroupInfo:
    """One group as the Services step shows it."""

    name: str
    description: str
    after: tuple[str, ...]
    profiles: tuple[str, ...]
    requires: tuple[str, ...]  # required source paths, relative to the stack
    missing: tuple[str, ...]  # the ones that are absent: the group is skipped

    @property
    def skipped(self) -> bool:
        return bool(self.missing)


@dataclass(frozen=True)
class PortStatus:
    """The live check of one port setting."""

    setting: str
    port: int | None
    status: str  # "ok", "busy", "duplicate" or "invalid"
    detail: str
    suggestion: int | None = None  # a free port to offer instead


@dataclass(frozen=True)
class SecretRow:
    """One secret as the Secrets step shows it; ``value`` is shown only when revealed."""

    name: str
    kind: str
    description: str
    origin: str  # "kept", "imported", "given", "new", "regenerated" or "re-signed"
    value: str


@dataclass(frozen=True)
class SeedList:
    """Seed files of one init step, for the Data step."""

    step: str
    kind: str
    database: str  # the store it seeds: kinds.POSTGRES or kinds.MONGO
    folder: str
    files: tuple[str, ...]
    problem: str = ""


@dataclass
class InitSession:
    """Everything the user answered so far; every step reads and writes it."""

    stack: Stack
    settings: dict[str, str] = field(default_factory=dict)
    profiles: list[str] = field(default_factory=list)
    mongo_source: str = ""  # copied from once when the stack starts; never written to disk
    mongo_db: str = ""  # the database to copy
    pinned: dict[str, str] = field(default_factory=dict)  # secrets whose value this run decides
    origins: dict[str, str] = field(default_factory=dict)
    existed: bool = False
    # Replaces the live port check (snapshot tests want the same answer on every machine).
    port_checker: Callable[["InitSession"], list[PortStatus]] | None = None
    _existing: dict[str, str] = field(default_factory=dict, repr=False)
    _initial_settings: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def start(cls, stack: Stack, *, profiles: list[str] | None = None,
              answers: Mapping[str, str] | None = None) -> "InitSession":
        """A session prefilled from the existing setup (or the manifest's defaults).

        ``answers`` (from --set, LAUNCHER_* or --answers) start out as the answers
        to their questions; a secret given that way is used as it is.
        """
        from wizard.core.values.resolution import existing_values, prefill, stored_values

        session = cls(stack)
        stored = stored_values(stack)
        session.existed = stored is not None
        session._existing = existing_values(stack)
        session.settings = prefill(stack)
        session._initial_settings = dict(session.settings)
        session.profiles = list(profiles or []) or _split_profiles(session.settings.get(PROFILES_SETTING, ""))
        given = dict(answers or {})
        secret_names = {spec.name for spec in stack.secrets}
        for name, value in given.items():
            if name in session.settings:
                session.settings[name] = value
            elif name in secret_names:
                session.pinned[name] = value
                session.origins[name] = "given"
        session._decide_secrets(stored or {})
        return session

    # -- welcome ----------------------------------------------------------------------

    def outputs(self) -> list[str]:
        """Every file init writes, relative to the stack folder."""
        from wizard.core.values.envfiles import store_path

        paths = [shown_path(store_path(self.stack), self.stack.root)]
        paths += [shown_path(output.path, self.stack.root) for output in self.stack.outputs]
        paths += [shown_path(spec.path, self.stack.root) for spec in self.stack.secrets
                  if secret_kind(spec).written_to_file and spec.path is not None]
        return paths

    # -- services ---------------------------------------------------------------------

    def groups(self) -> list[GroupInfo]:
        """Every group with what it needs; a group with missing sources will be skipped."""
        return [GroupInfo(group.name, group.description, group.after, group.profiles,
                          tuple(shown_path(path, self.stack.root, dot=True) for path in group.requires_paths),
                          tuple(shown_path(path, self.stack.root, dot=True) for path in group.missing_paths()))
                for group in self.stack.groups]

    def all_profiles(self) -> list[tuple[str, str]]:
        """(group, profile) for every optional profile, in manifest order."""
        return [(group.name, profile) for group in self.stack.groups for profile in group.profiles]

    def set_profiles(self, profiles: list[str]) -> None:
        known = {profile for _, profile in self.all_profiles()}
        self.profiles = [profile for profile in dict.fromkeys(profiles) if profile in known]
        if PROFILES_SETTING in self.settings:
            # Compose reads COMPOSE_PROFILES from the env file: every later `up`, by the
            # launcher or by hand, starts the same profiles.
            self.settings[PROFILES_SETTING] = ",".join(self.profiles)

    # -- ports and settings -----------------------------------------------------------

    def port_settings(self) -> list[SettingSpec]:
        return [spec for spec in self.stack.settings if setting_kind(spec).is_port]

    def url_settings(self) -> list[SettingSpec]:
        return [spec for spec in self.stack.settings if setting_kind(spec).is_url]

    def other_settings(self) -> list[SettingSpec]:
        # COMPOSE_PROFILES is answered by the profile choice on the services step.
        return [spec for spec in self.stack.settings
                if not (setting_kind(spec).is_port or setting_kind(spec).is_url) and spec.name != PROFILES_SETTING]

    def set_setting(self, name: str, value: str) -> str:
        """Store an answer; returns why it is invalid ("" when it is fine). Invalid answers are kept
        as typed so the user can fix them, and the step refuses to go on."""
        from wizard.core.manifest.kinds.settings import validate_setting

        spec = self._setting(name)
        self.settings[name] = value
        try:
            validate_setting(spec, value)
        except ValueError as exc:
            return str(exc)
        return ""

    def setting_problems(self) -> dict[str, str]:
        """Every setting whose current answer is invalid, with the reason."""
        from wizard.core.manifest.kinds.settings import validate_setting

        problems = {}
        for spec in self.stack.settings:
            value = self.settings.get(spec.name, "")
            if spec.required and value == "":
                problems[spec.name] = "needs a value"
                continue
            try:
                validate_setting(spec, value)
            except ValueError as exc:
                problems[spec.name] = str(exc)
        return problems

    def port_statuses(self) -> list[PortStatus]:
        """The port check the front ends show: ``check_ports`` unless a checker was handed in."""
        return self.port_checker(self) if self.port_checker else self.check_ports()

    def ports_host(self) -> str:
        """Where the ports are: 127.0.0.1, or the machine an engine elsewhere runs on."""
        return self._remote_host() or "127.0.0.1"

    @staticmethod
    def _remote_host() -> str:
        """The machine an engine elsewhere runs on (its containers are then all the check can see
        there); "" for this one."""
        from wizard.core.docker.endpoint import current
        from wizard.core.support.errors import ConfigError

        try:
            return current().remote_host
        except ConfigError:
            return ""  # a broken CLI config: every engine call says so in its own line

    def check_ports(self, containers: Callable[[], tuple[list, list]] | None = None) -> list[PortStatus]:
        """Check every port setting on ``ports_host()``: free, held by this stack, or busy (with who
        holds it and a free one to use instead). Blocking: front ends call it off their UI thread.

        ``containers`` returns (this project's containers, every container); by default they come
        from the Docker engine, and when it does not answer a busy port is named by process only.
        """
        from wizard.core.lifecycle.checks import WantedPort, find_ports, free_port_near, shared_ports

        statuses: dict[str, PortStatus] = {}
        wanted: list[WantedPort] = []
        owners = shared_ports(self.stack, self.settings)
        for spec in self.port_settings():
            value = self.settings.get(spec.name, "")
            if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
                statuses[spec.name] = PortStatus(spec.name, None, "invalid", f"{value!r} is not a port number")
                continue
            wanted.append(WantedPort(int(value), spec.name, spec.name))
        project, everyone = (containers or self._containers)()
        findings = find_ports(wanted, project, everyone, remote_host=self._remote_host())
        taken = [item.port for item in wanted]
        for item in wanted:
            finding = findings[item.port]
            others = [name for name in owners.get(item.port, ()) if name != item.setting]
            if others:
                statuses[item.setting] = PortStatus(item.setting, item.port, "duplicate",
                                                    f"also chosen for {', '.join(others)}",
                                                    free_port_near(item.port, taken))
            elif finding.state == "busy":
                statuses[item.setting] = PortStatus(item.setting, item.port, "busy", f"held by {finding.holder}",
                                                    finding.instead)
            else:
                detail = "used by this stack" if finding.state == "ours" else "free"
                statuses[item.setting] = PortStatus(item.setting, item.port, "ok", detail)
        return [statuses[spec.name] for spec in self.port_settings()]

    def _containers(self) -> tuple[list, list]:
        from wizard.core.docker.composeengine import ComposeEngine
        from wizard.core.support.errors import LauncherError

        try:
            engine = ComposeEngine(self.stack)
            return engine.containers(), engine.all_containers()
        except LauncherError:
            return [], []

    def changed_settings(self) -> dict[str, tuple[str, str]]:
        """name -> (before, after) for every setting answered differently from what it was."""
        return {name: (self._initial_settings.get(name, ""), value) for name, value in self.settings.items()
                if value != self._initial_settings.get(name, "")}

    # -- secrets ----------------------------------------------------------------------

    def _decide_secrets(self, stored: Mapping[str, str]) -> None:
        """Resolve every secret once: kept ones stay, new ones are generated now and pinned."""
        from wizard.core.values.resolution import resolve_values

        from wizard.core.values.resolution import Answer

        answers = self._setting_answers()
        answers.update({name: Answer(value, f"answer {name}") for name, value in self.pinned.items()})
        resolution = resolve_values(self.stack, answers, self._existing)
        for spec in self.stack.secrets:
            if spec.name in self.pinned:
                continue
            origin = resolution.origins[spec.name]
            if origin == "stored":
                self.origins[spec.name] = "kept" if spec.name in stored else "imported"
            else:
                self.origins[spec.name] = "new" if origin == "generated" else origin
                self.pinned[spec.name] = resolution.values[spec.name]

    def secret_value(self, name: str) -> str:
        return self.pinned.get(name, self._existing.get(name, ""))

    def secrets(self) -> list[SecretRow]:
        """Every secret with its origin and value (the front end masks it unless revealed)."""
        return [SecretRow(spec.name, spec.kind, spec.description, self.origins[spec.name],
                          self.secret_value(spec.name)) for spec in self.stack.secrets]

    def regenerate(self, name: str) -> list[str]:
        """A new value for one secret, and new signatures for the JWTs it signs; returns the names
        that changed."""
        from wizard.core.values.secrets import generate_secret, rotation_set

        values = {spec.name: self.secret_value(spec.name) for spec in self.stack.secrets}
        changed = rotation_set(self.stack, [name])
        for secret in changed:
            values[secret] = generate_secret(self.stack.secret(secret), values)
            self.pinned[secret] = values[secret]
            self.origins[secret] = "regenerated" if secret == name else "re-signed"
        return changed

    def demo_secrets(self) -> list[str]:
        """Secrets whose value is a published sample (adopted from a copied `.env.example`)."""
        from wizard.core.values.secrets import is_demo

        return [spec.name for spec in self.stack.secrets if is_demo(self.secret_value(spec.name))]

    def replace_demo(self) -> list[str]:
        """Regenerate every demo secret, re-signing what depends on them; returns the names that changed."""
        changed: list[str] = []
        for name in self.demo_secrets():
            if name not in changed:  # a demo JWT is already re-signed once its signer is replaced
                changed += [other for other in self.regenerate(name) if other not in changed]
        return changed

    def replaces_existing(self, name: str) -> bool:
        """Whether regenerating this secret replaces a value a running stack may already use."""
        return name in self._existing

    def describe_secret(self, spec: SecretSpec) -> str:
        from wizard.core.values.secrets import describe

        return describe(spec, self.secret_value(spec.name))

    # -- data ---------------------------------------------------------------------------

    def seed_lists(self) -> list[SeedList]:
        """The seed files each postgres-seeds and mongo-seeds step will look at."""
        from wizard.core.seeds.steps import step_folder

        lists = []
        for step in seed_steps(self.stack.steps):
            database = step_kind(step).database
            folder = step_folder(self.stack, step, self.settings)
            files, problem = (_postgres_seed_files if database == POSTGRES else _mongo_seed_files)(folder)
            lists.append(SeedList(step.name, step.kind, database, shown_path(folder, self.stack.root, dot=True),
                                  files, problem))
        return lists

    def has_mongo(self) -> bool:
        """Whether the stack has a mongo-seeds step, the target of a copy."""
        return bool(seed_steps(self.stack.steps, MONGO))

    def set_mongo_source(self, uri: str, db: str = "") -> str:
        """Keep a Mongo URI to copy data from (in memory only) and the database to copy (by default
        the one the URI names); returns why they cannot be used, or ""."""
        from urllib.parse import urlsplit

        uri = uri.strip()
        if uri and not uri.startswith(MONGO_SCHEMES):
            return "must start with mongodb:// or mongodb+srv://"
        db = db.strip() or urlsplit(uri).path.strip("/")
        if uri and not db:
            return "name the database to copy (in the URI's path, or below)"
        self.mongo_source, self.mongo_db = uri, (db if uri else "")
        return ""

    def mongo_copy(self) -> Iterator[Event] | None:
        """The one-time copy from ``mongo_source``, as events of the stack's mongo-seeds step; None
        when there is nothing to copy. Runs once the stack is up (it needs the stack's MongoDB)."""
        if not self.mongo_source:
            return None
        from wizard.core.seeds.mongo.data import copy_into_step
        from wizard.core.seeds.steps import run_step
        from wizard.core.values.resolution import current_values

        step = seed_steps(self.stack.steps, MONGO)[0]
        source, db = self.mongo_source, self.mongo_db

        def copy(stack, step, values):
            return copy_into_step(stack, step, values, source, db)

        return run_step(self.stack, step, current_values(self.stack), runner=copy)

    # -- review and write ---------------------------------------------------------------

    def answers(self) -> dict[str, str]:
        """What goes to ``initialize``: changed settings and the secrets this run decides."""
        answers = {name: after for name, (_, after) in self.changed_settings().items()}
        answers.update(self.pinned)
        return answers

    def preview(self):
        """What writing would do (an InitResult with dry_run), writing nothing."""
        from wizard.core.values.resolution import initialize

        return initialize(self.stack, self.answers(), dry_run=True)

    def write(self):
        """Write every file through the one seam `launcher init` uses; returns the InitResult."""
        from wizard.core.values.resolution import initialize

        return initialize(self.stack, self.answers())

    # -- helpers ------------------------------------------------------------------------

    def _setting(self, name: str) -> SettingSpec:
        for spec in self.stack.settings:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def _setting_answers(self):
        from wizard.core.values.resolution import Answer

        return {name: Answer(after, f"answer {name}") for name, (_, after) in self.changed_settings().items()}


def _postgres_seed_files(folder: Path) -> tuple[tuple[str, ...], str]:
    """The SQL seed files a folder holds, in the order they apply, and why they cannot be read ("")."""
    from wizard.core.seeds.postgres.apply import find_seed_files
    from wizard.core.support.errors import LauncherError

    try:
        return tuple(seed.path for seed in find_seed_files(folder)), ""
    except LauncherError as error:
        return (), error.message


def _mongo_seed_files(folder: Path) -> tuple[tuple[str, ...], str]:
    """The Mongo document files a folder holds (``DB/COLLECTION.json``), and why not ("")."""
    from wizard.core.seeds.mongo.data import INDEXES_SUFFIX

    if not folder.is_dir():
        return (), "folder does not exist"
    return tuple(sorted(path.relative_to(folder).as_posix() for path in folder.glob("*/*.json")
                        if not path.name.endswith(INDEXES_SUFFIX))), ""
