"""A read-only Docker registry (HTTP API v2) on 127.0.0.1, serving small images made up on the spot.

Enough of the protocol for the engine to pull: ``GET /v2/``, manifests (schema 2)
and blobs, layers gzipped as registries store them. The engine treats 127.0.0.0/8 as an insecure registry,
so it falls back to plain HTTP: the pull is real and no traffic leaves the machine.
Each blob is sent in small pieces with a pause between, so the pull's progress
has several steps to report.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class LoopbackRegistry:
    """``add(client, local_image, repository, tag)``, then pull ``{host}/{repository}:{tag}``."""

    def __init__(self, chunk: int = 64 * 1024, pause: float = 0.01) -> None:
        self.manifests: dict[tuple[str, str], bytes] = {}
        self.blobs: dict[str, bytes] = {}
        self.chunk, self.pause = chunk, pause
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self.answer(body=False)

            def do_GET(self) -> None:
                self.answer(body=True)

            def answer(self, body: bool) -> None:
                path = self.path.split("?", 1)[0]
                if path in ("/v2/", "/v2"):
                    return self.send(200, b"{}", "application/json", body)
                if "/manifests/" in path:
                    name, reference = path[len("/v2/"):].split("/manifests/", 1)
                    data = registry.manifests.get((name, reference))
                    if data is None:
                        data = next((m for (n, _), m in registry.manifests.items()
                                     if n == name and digest_of(m) == reference), None)
                    if data is None:
                        return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', "application/json", body)
                    return self.send(200, data, MANIFEST_TYPE, body, digest=digest_of(data))
                if "/blobs/" in path:
                    data = registry.blobs.get(path.rsplit("/", 1)[1])
                    if data is None:
                        return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}', "application/json", body)
                    return self.send(200, data, "application/octet-stream", body, digest=digest_of(data), slow=True)
                self.send(404, b"{}", "application/json", body)

            def send(self, status: int, data: bytes, kind: str, body: bool, digest: str = "",
                     slow: bool = False) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Docker-Distribution-API-Version", "registry/2.0")
                if digest:
                    self.send_header("Docker-Content-Digest", digest)
                self.end_headers()
                if not body:
                    return
                step = registry.chunk if slow else len(data) or 1
                for start in range(0, len(data), step):
                    self.wfile.write(data[start:start + step])
                    self.wfile.flush()
                    if slow:
                        time.sleep(registry.pause)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LoopbackRegistry":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, repository: str, tag: str, layer_sizes: tuple[int, ...] = (600_000, 400_000), *,
            base: tuple[object, str] | None = None) -> int:
        """Serve a new image ``repository:tag`` whose layers hold random files of these sizes.

        Random content, so no such layer exists in the engine and every byte of it is
        really downloaded. ``base`` (a docker client, a local image): its layers and
        settings go first, so the image runs; the engine already has those layers.
        Returns the bytes of the random layers (what the pull downloads).
        """
        import os

        layers, diff_ids, settings = [], [], {}
        if base is not None:
            client, image = base
            archive = tarfile.open(fileobj=io.BytesIO(b"".join(client.api.get_image(image))))  # type: ignore[attr-defined]
            (entry,) = json.loads(archive.extractfile("manifest.json").read())
            settings = json.loads(archive.extractfile(entry["Config"]).read()).get("config") or {}
            for path in entry["Layers"]:
                raw = archive.extractfile(path).read()
                diff_ids.append(digest_of(raw))
                blob = gzip.compress(raw, compresslevel=1, mtime=0)
                self.blobs[digest_of(blob)] = blob
                layers.append({"mediaType": LAYER_TYPE, "size": len(blob), "digest": digest_of(blob)})
        downloaded = 0
        for index, size in enumerate(layer_sizes):
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w") as layer:
                info = tarfile.TarInfo(f"data-{index}.bin")
                info.size = size
                layer.addfile(info, io.BytesIO(os.urandom(size)))
            diff_ids.append(digest_of(buffer.getvalue()))
            blob = gzip.compress(buffer.getvalue(), compresslevel=1, mtime=0)
            self.blobs[digest_of(blob)] = blob
            layers.append({"mediaType": LAYER_TYPE, "size": len(blob), "digest": digest_of(blob)})
            downloaded += len(blob)
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": settings,
                             "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
        self.blobs[digest_of(config)] = config
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
                    "config": {"mediaType": CONFIG_TYPE, "size": len(config), "digest": digest_of(config)},
                    "layers": layers}
        self.manifests[(repository, tag)] = json.dumps(manifest).encode()
        return downloaded
