"""The engine's local images: which are here, and the raw pull, save and load streams.

The listing is one ``GET /images/json`` (through the light client when the
transport allows, so the preflight of a daily ``up`` stays cheap); pulls, saves
and loads stream through the Docker SDK. Nothing here decides what a stack
needs (``images.py``) or how an archive looks (``imagebundle.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence


@dataclass(frozen=True)
class LocalImage:
    """One image in the engine's store, as the list call reports it."""

    id: str
    tags: tuple[str, ...]
    digests: tuple[str, ...]  # repo@sha256:... as pulled from a registry (empty for a local build)
    size: int


def normalize(reference: str) -> str:
    """The short form Docker lists a reference under: ``docker.io/library/x`` is ``x:latest``."""
    name, _, digest = reference.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return f"{name}@{digest}" if digest else name


class ImageStore:
    """The Docker calls about images; ``client`` is called for the SDK client only when needed."""

    def __init__(self, *, light: Any = None, client: Callable[[], Any]) -> None:
        self._light = light
        self._client = client

    def local_images(self) -> list[LocalImage]:
        summaries = (self._light.get("/images/json") if self._light is not None
                     else self._client().api.images())
        return [LocalImage(id=item.get("Id", ""), tags=tuple(t for t in item.get("RepoTags") or () if t != "<none>:<none>"),
                           digests=tuple(item.get("RepoDigests") or ()), size=int(item.get("Size") or 0))
                for item in summaries]

    def find(self, references: Iterable[str]) -> dict[str, LocalImage | None]:
        """Each reference with the local image it names, or None when it is not here."""
        by_name: dict[str, LocalImage] = {}
        for image in self.local_images():
            for name in (*image.tags, *image.digests):
                by_name[normalize(name)] = image
        return {reference: by_name.get(normalize(reference)) for reference in references}

    def healthcheck(self, reference: str) -> dict[str, Any] | None:
        """The image's own HEALTHCHECK in compose's keys (durations in nanoseconds, as the engine keeps
        them; a zero is Docker's default, so left out); None when it has none (or is not here)."""
        from urllib.parse import quote

        try:
            details = (self._light.get(f"/images/{quote(reference, safe='/:@')}/json") if self._light is not None
                       else self._client().api.inspect_image(reference))
        except Exception:  # noqa: BLE001 - gone since the images check: the wait keeps its own floor
            return None
        check = ((details or {}).get("Config") or {}).get("Healthcheck") or {}
        if not check.get("Test") or check["Test"][0] == "NONE":
            return None
        keys = {"Interval": "interval", "Timeout": "timeout", "StartPeriod": "start_period", "Retries": "retries"}
        return {ours: check[theirs] for theirs, ours in keys.items() if check.get(theirs)}

    def pull(self, reference: str) -> Iterator[Mapping[str, Any]]:
        """The engine's pull progress, one decoded JSON message at a time ({"error": ...} on failure)."""
        return self._client().api.pull(reference, stream=True, decode=True)

    def save(self, references: Sequence[str], chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """One `docker save` archive of every reference (layers shared between them stored once)."""
        import docker.errors

        from wizard.core.support.errors import ImagesUnavailable

        api = self._client().api
        # The SDK's get_image takes one name; the endpoint takes several, which is what lets
        # shared layers be written once, so the request is made through the SDK's own session.
        response = api._get(api._url("/images/get"), params={"names": list(references)}, stream=True)
        try:
            api._raise_for_status(response)
        except docker.errors.APIError as error:
            raise ImagesUnavailable(f"the engine could not export the images: {error.explanation or error}",
                                    "check `launcher images` and try again") from None
        return response.iter_content(chunk_size)

    def load(self, archive: Any) -> list[Mapping[str, Any]]:
        """Hand a `docker save` archive (a file object) to the engine; its messages, errors included."""
        return list(self._client().api.load_image(archive))
