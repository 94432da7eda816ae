"""The read calls snapshots make, without the Docker SDK when the engine is a plain local socket.

Importing the SDK (requests, urllib3) costs about half a second, as much as the
whole pg_dump of a small database; saving a stack whose only store is Postgres
needs three GET calls and no SDK at all. Writes (archives, helper containers,
volume removal) still go through the SDK, imported only when there is a volume.
"""

from __future__ import annotations

import json
from typing import Any

from wizard.core.docker.lightclient import LightClient
from wizard.core.docker.containers import PROJECT_LABEL


class EngineView:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.light = LightClient.for_environment()
        self.filters = {"label": [f"{PROJECT_LABEL}={engine.project}"]}

    def containers(self) -> list[dict[str, Any]]:
        """Raw summaries (labels, image, mounts) of every container of the project."""
        if self.light is not None:
            return self.light.containers(self.filters)
        return self.engine.client.api.containers(all=True, filters=self.filters)

    def volumes(self) -> list[dict[str, Any]]:
        """Every volume of the project, with its labels."""
        if self.light is not None:
            found = self.light.get("/volumes", {"filters": json.dumps(self.filters)})
        else:
            found = self.engine.client.api.volumes(filters=self.filters)
        return list((found or {}).get("Volumes") or [])

    def inspect(self, container_id: str) -> dict[str, Any]:
        if self.light is not None:
            return self.light.get(f"/containers/{container_id}/json")
        return self.engine.client.api.inspect_container(container_id)
