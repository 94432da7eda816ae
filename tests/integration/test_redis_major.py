"""Redis 8 reads the data Redis 7 left in a volume, as it is: the bundled pin's major move, on the real engine.

Debian's servers stand in for the official images (none can be pulled here): bookworm's 7.0
writes, trixie's 8.0 reads, with the bundled stack's options (a password, the append-only file).
One volume, three short-lived containers; the last shows why a rollback after 8 has rewritten
its files needs the snapshot (docs/bundled-stack.md).
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.conftest import IMAGES, missing_part

pytestmark = pytest.mark.integration

REDIS8 = "launcher-test/redis8:8"
PASSWORD = "redis-major-test"
# As compose/app.yml runs it, with the data folder named (Debian's server has no /data default).
SERVER = ["redis-server", "--requirepass", PASSWORD, "--appendonly", "yes", "--dir", "/data"]


@pytest.fixture
def volume(docker_client):
    import docker.errors

    for image in (IMAGES["redis"], REDIS8):
        try:
            docker_client.images.get(image)
        except docker.errors.ImageNotFound:
            missing_part(f"local image {image} not built")
    name = f"lt-redis-major-{uuid.uuid4().hex[:8]}"
    docker_client.volumes.create(name)
    started = []
    yield name, started
    for container in started:
        container.remove(force=True)
    docker_client.volumes.get(name).remove(force=True)


def serve(client, image: str, volume: str, started: list):
    container = client.containers.run(image, SERVER, detach=True, network_mode="none",
                                      environment={"REDISCLI_AUTH": PASSWORD}, volumes={volume: {"bind": "/data"}})
    started.append(container)
    deadline = time.monotonic() + 30
    while cli(container, "PING") != "PONG":
        container.reload()
        assert container.status == "running" and time.monotonic() < deadline, container.logs().decode()[-500:]
        time.sleep(0.1)
    return container


def cli(container, *words: str) -> str:
    result = container.exec_run(["redis-cli", "--no-raw", *words], environment={"REDISCLI_AUTH": PASSWORD})
    return result.output.decode().strip()


def rewritten(container) -> None:
    """Until the background rewrite of the append-only file has finished."""
    deadline = time.monotonic() + 30
    while "aof_rewrite_in_progress:0" not in cli(container, "INFO", "persistence"):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def contents(container) -> dict[str, str]:
    return {"string": cli(container, "GET", "s"), "hash": cli(container, "HGETALL", "h"),
            "list": cli(container, "LRANGE", "l", "0", "-1"), "set": cli(container, "SMEMBERS", "st"),
            "zset": cli(container, "ZRANGE", "z", "0", "-1", "WITHSCORES"), "ttl": cli(container, "TTL", "t"),
            "stream": cli(container, "XLEN", "x"), "keys": cli(container, "DBSIZE")}


def test_redis_8_reads_what_redis_7_wrote(docker_client, volume):
    name, started = volume
    old = serve(docker_client, IMAGES["redis"], name, started)
    assert "redis_version:7." in cli(old, "INFO", "server")
    cli(old, "SET", "s", "kept")
    cli(old, "HSET", "h", "field", "value")
    cli(old, "RPUSH", "l", "a", "b", "c")
    cli(old, "SADD", "st", "one")
    cli(old, "ZADD", "z", "1.5", "member")
    cli(old, "SET", "t", "expiring", "EX", "86400")
    cli(old, "XADD", "x", "*", "k", "v")
    # Half of it only in the append-only file's tail: the base is rewritten first, then more writes.
    assert "started" in cli(old, "BGREWRITEAOF")
    cli(old, "RPUSH", "l", "d")
    written = contents(old)
    assert written["keys"] == "(integer) 7"
    cli(old, "SHUTDOWN")
    old.wait(timeout=30)

    new = serve(docker_client, REDIS8, name, started)
    assert "redis_version:8." in cli(new, "INFO", "server")
    read = contents(new)
    ttl = int(read.pop("ttl").split()[-1])
    assert 86000 < ttl <= 86400
    assert read == {key: value for key, value in written.items() if key != "ttl"}
    assert '"d"' in read["list"]

    # Once 8 has rewritten its files, 7 refuses them: a rollback then needs the snapshot.
    assert "started" in cli(new, "BGREWRITEAOF")
    rewritten(new)
    cli(new, "SHUTDOWN")
    new.wait(timeout=30)
    back = docker_client.containers.run(IMAGES["redis"], SERVER, detach=True, network_mode="none",
                                        volumes={name: {"bind": "/data"}})
    started.append(back)
    assert back.wait(timeout=30)["StatusCode"] != 0
    assert "Can't handle RDB format version" in back.logs().decode()
