"""The connection half of ``ComposeEngine``: which engine, and the two clients that talk to it.

The endpoint is the one the Docker CLI would use (``wizard.core.docker.endpoint``), read
on first use. The hot reads (ping, list, start, events) go through the ``LightClient``
when its transport is plain; everything else through the Docker SDK, imported only then.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

from wizard.core.docker.endpoint import Endpoint, current, sdk_client
from wizard.core.docker.engineinfo import engine_facts
from wizard.core.docker.failures import engine_unreachable
from wizard.core.docker.lightclient import LightClient


class EngineConnection:
    """Mixed into ``ComposeEngine``, which sets ``_client`` (a given SDK client, or None)."""

    _client: Any

    @cached_property
    def endpoint(self) -> Endpoint:
        """The engine the Docker CLI would use here (``wizard.core.docker.endpoint``); compose is sent there too."""
        return current()

    @property
    def remote_host(self) -> str:
        """The machine the engine runs on, "" for this one (``Endpoint.remote_host``)."""
        return self.endpoint.remote_host

    @cached_property
    def _light(self) -> LightClient | None:
        """The hot reads (ping, list) skip the SDK's heavy import when the transport is plain."""
        return LightClient.for_endpoint(self.endpoint, tls_asked=bool(os.environ.get("DOCKER_TLS_VERIFY")))

    @property
    def client(self) -> Any:
        """The Docker SDK client; connecting raises DockerUnavailable with the reason in one line."""
        if self._client is None:
            import docker.errors

            try:
                self._client = sdk_client(self.endpoint)
            except docker.errors.DockerException as exc:
                raise engine_unreachable(exc, self.endpoint) from None
        return self._client

    def ping(self) -> None:
        """Make sure the engine answers; DockerUnavailable (one line) when it does not."""
        if self._light is not None:
            self._light.ping()
        else:
            self._call(self.client.ping)

    def versions(self) -> dict[str, Any]:
        """Which engine, where it was found, its versions, memory, CPUs and root folder (``engine_facts``)."""
        if self._light is not None:
            info, version = self._light.get("/info"), self._light.get("/version")
        else:
            info, version = self._call(self.client.info), self._call(self.client.version)
        return engine_facts(version, info, self.endpoint)

    def _call(self, function, *args, **kwargs):
        """An SDK call; the engine not answering (a connection refused, dropped or timed out) is
        DockerUnavailable in one line. The engine's own refusals (APIError) and the SDK's
        complaints about a call (a missing id, a bad argument) are not that, and pass on."""
        import docker.errors
        import requests.exceptions

        try:
            return function(*args, **kwargs)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise engine_unreachable(exc, self.endpoint) from None
        except docker.errors.DockerException as exc:
            # The SDK raises the base class itself when it cannot reach the engine ("Error while
            # fetching server API version: ..."); its subclasses name something else.
            if type(exc) is not docker.errors.DockerException:
                raise
            raise engine_unreachable(exc, self.endpoint) from None
