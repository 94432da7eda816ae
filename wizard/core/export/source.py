"""What a translation starts from: the stack's resolved compose config, its plan and its values.

The compose config is Compose's own answer (`docker compose config --format json`)
over every group file with the active profiles, so interpolation, `env_file`,
`extends` and profiles are resolved exactly as `launcher up` would see them; the
engine's model says which group declares each service and which are one-shot jobs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.model import ComposeModel, ServiceSpec
from wizard.core.docker.protocol import DirectEngine
from wizard.core.manifest.plan import Plan, build_plan, check_profiles
from wizard.core.manifest.stack import Stack

# Shorter values are not looked for inside other strings: they would match by accident.
MIN_SECRET_LENGTH = 8
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Source:
    stack: Stack
    plan: Plan
    config: Mapping[str, Any]
    model: ComposeModel
    values: Mapping[str, str]
    # What the translation names its objects after: the stack's name in exported files (deployed
    # by hand elsewhere), the instance's when `up --target swarm` deploys them (two checkouts of
    # one stack on one swarm must not share a stack, network, secret or config).
    project: str

    def services(self, group: str) -> dict[str, dict[str, Any]]:
        """The compose services of one group (of the active profiles), in compose's order."""
        services = self.config.get("services") or {}
        return {name: dict(service) for name, service in services.items() if self.model.group_of(name) == group}

    def spec(self, service: str) -> ServiceSpec:
        return self.model.service(service)

    def secret_values(self) -> dict[str, str]:
        """Every generated secret that has a value, by name."""
        return {spec.name: self.values[spec.name] for spec in self.stack.secrets if self.values.get(spec.name)}

    def secrets_in(self, text: str) -> list[str]:
        """Names of the generated secrets whose value appears in ``text``, as is or percent-encoded
        (the form it takes inside a URL a template builds)."""
        from urllib.parse import quote

        return [name for name, value in self.secret_values().items()
                if value == text or len(value) >= MIN_SECRET_LENGTH
                and (value in text or quote(value, safe="") in text)]

    def secret_file(self, path: Path) -> bool:
        """Whether a file holds secrets: a secret's own file (the Mongo keyfile) or a rendered env file."""
        resolved = path.resolve()
        secret_paths = {spec.path.resolve() for spec in self.stack.secrets if spec.path}
        outputs = {output.path.resolve() for output in self.stack.outputs}
        return resolved in secret_paths | outputs

    def inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.stack.root.resolve())
        except ValueError:
            return False
        return True

    def references(self, text: str) -> list[str]:
        """The ``${NAME}`` references of a manifest string, in order."""
        return list(dict.fromkeys(_REFERENCE.findall(text)))

    def published_by(self, port: int) -> tuple[str, int] | None:
        """(service, container port) of the service that publishes ``port`` on the host."""
        for spec in self.model.services:
            for published in spec.ports:
                if published.port == port:
                    return spec.name, published.target
        return None


def load_source(stack: Stack, *, profiles: Sequence[str] = (), engine: DirectEngine | None = None,
                project: str | None = None) -> Source:
    """Resolve the stack as `up` would: compose config of the active profiles, plan, values.

    The translation's objects are named after ``project``, the stack's name by default.
    """
    from wizard.core.values.resolution import current_values

    check_profiles(stack, profiles)
    engine = engine or ComposeEngine(stack, profiles=profiles)
    model = engine.model()  # raises PreflightFailed when `launcher init` has not run
    config = json.loads(engine.run_compose("config", "--format", "json").stdout)
    return Source(stack=stack, plan=build_plan(stack, profiles=profiles), config=config, model=model,
                  values=current_values(stack), project=project or stack.name)


def seconds(duration: Any, default: float) -> int:
    """Whole seconds (at least 1) of a compose duration ("1m30s", "500ms")."""
    from wizard.core.docker.model import go_duration

    return max(1, round(go_duration(duration, default)))


def unescape(text: str) -> str:
    """Compose's ``$$`` is a literal ``$`` once compose is out of the way."""
    return text.replace("$$", "$")
