"""Running one of the test bed's extra engines by hand (`python -m tests.testbed.podman_bed`, ...)."""

from __future__ import annotations

import time


def serve_until_interrupted(bed) -> None:
    """Print the DOCKER_HOST to use, keep the engine until Ctrl-C, then stop it."""
    print(f"export DOCKER_HOST={bed.host}   (Ctrl-C stops it)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        bed.stop()
