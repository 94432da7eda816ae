"""`launcher images` and the image preflight of `up` on the real engine.

The images are copies of the test bed's busybox under a per-test prefix
(launcher-imgtest-<uuid>/...), so the tests may remove them; the originals are
never touched. The unreachable registry is 127.0.0.1 on a port nobody listens
on: the engine's pull fails without any traffic leaving the machine.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import uuid
from pathlib import Path

import pytest

from tests.integration.engine_stack import free_ports, json_lines, project_containers

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "images_stack"


@pytest.fixture
def image_stack(tmp_path, compose_project, images, docker_client, run_launcher):
    """The images fixture stack, initialised, with its own copies of busybox; every image of it removed after."""
    prefix = uuid.uuid4().hex[:12]
    root = tmp_path / "stack"
    shutil.copytree(FIXTURE, root)
    for path in [root / "stack.toml", *root.glob("compose/*.yml"), root / "build" / "Dockerfile"]:
        text = path.read_text().replace("PREFIX", prefix).replace('name = "imagesstack"', f'name = "{compose_project}"')
        path.write_text(text)
    names = {"busybox": f"launcher-imgtest-{prefix}/busybox:1", "probe": f"launcher-imgtest-{prefix}/probe:1",
             "tool": f"{compose_project}-tool"}
    original = docker_client.images.get(images["busybox"])
    original.tag(names["busybox"])
    original.tag(names["probe"])
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}

    def launcher(*args, **options):
        return run_launcher(*args, cwd=root, env=env, timeout=240, **options)

    (port,) = free_ports(1)
    result = launcher("init", "--non-interactive", f"--set=WEB_PORT={port}")
    assert result.returncode == 0, result.stderr
    yield root, names, launcher
    launcher("down")
    for name in names.values():
        remove_image(docker_client, name)
    assert docker_client.images.get(images["busybox"]).id == original.id  # the original is still there


def remove_image(client, name: str) -> None:
    import docker.errors

    try:
        client.images.remove(name, force=True)
    except docker.errors.ImageNotFound:
        pass


def listing(launcher) -> dict[str, dict]:
    result = launcher("images", "--json")
    assert result.returncode == 0, result.stderr
    return {item["image"]: item for item in json.loads(result.stdout)["images"]}


def test_list_build_save_remove_refuse_load_and_start_offline(image_stack, docker_client, compose_project, tmp_path):
    root, names, launcher = image_stack
    busybox_id = docker_client.images.get(names["busybox"]).id

    # Listed: the two copies here, the built one not yet.
    found = listing(launcher)
    assert set(found) == set(names.values())
    assert found[names["busybox"]]["present"] and found[names["busybox"]]["id"] == busybox_id
    assert found[names["busybox"]]["services"] == ["job"] and found[names["probe"]]["services"] == ["web"]
    assert found[names["tool"]] == {**found[names["tool"]], "source": "build", "present": False, "id": None}

    # The first `up` builds the tool image, with the env file's build args, and shows build progress.
    result = launcher("up", "--json")
    assert result.returncode == 0, result.stderr
    events = json_lines(result.stdout)
    builds = [e for e in events if e["event"].startswith("image") and e["action"] == "build"]
    assert builds[0] == {"event": "images-started", "action": "build", "images": [names["tool"]], "total": 0}
    assert any(e["event"] == "image-progress" and e["total"] >= 2 for e in builds)
    assert builds[-1]["event"] == "image-done" and builds[-1]["image"] == names["tool"]
    assert docker_client.containers.get(project_containers(docker_client, compose_project)["tool"].id) \
        .logs().decode().strip() == "hello from the build args"
    assert all(item["present"] for item in listing(launcher).values())
    assert launcher("down").returncode == 0

    # Save: one archive, 0600, its manifest names every image and the sha256 of the docker save member.
    bundle = tmp_path / "bundle.tar"
    result = launcher("images", "save", str(bundle))
    assert result.returncode == 0, result.stderr
    assert "save: 100%" in result.stdout and f"saved {bundle}" in result.stdout
    assert bundle.stat().st_mode & 0o777 == 0o600
    with tarfile.open(bundle) as archive:
        manifest = json.loads(archive.extractfile("launcher-images.json").read())
        member = archive.extractfile("images.tar").read()
    assert {item["image"] for item in manifest["images"]} == set(names.values())
    assert manifest["archive"]["sha256"] == hashlib.sha256(member).hexdigest()
    assert not list(tmp_path.glob(".bundle.tar*"))  # no temp file left behind
    # An existing archive is replaced only when asked to.
    before = bundle.stat().st_mtime_ns
    result = launcher("images", "save", str(bundle))
    assert result.returncode == 11 and "--yes" in result.stderr and bundle.stat().st_mtime_ns == before
    assert launcher("images", "save", str(bundle), "--yes").returncode == 0

    # Without the images, `up --pull never` stops before anything starts and names what is missing.
    for name in names.values():
        remove_image(docker_client, name)
    result = launcher("up", "--pull", "never")
    assert result.returncode == 8, result.stderr
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and names["busybox"] in error[0] and names["probe"] in error[0]
    assert "launcher images pull" in error[0] and "launcher images load FILE" in error[0]
    assert project_containers(docker_client, compose_project) == {}
    # --offline says the same, and names itself as the reason.
    result = launcher("up", "--offline")
    assert result.returncode == 8 and "--offline" in result.stderr
    assert project_containers(docker_client, compose_project) == {}

    # A damaged archive is refused before the engine sees a byte of it.
    damaged = tmp_path / "damaged.tar"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    result = launcher("images", "load", str(damaged))
    assert result.returncode == 8 and "sha256" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not any(item["present"] for item in listing(launcher).values())
    # So is a file that is no archive of ours.
    stranger = tmp_path / "stranger.tar"
    with tarfile.open(stranger, "w") as archive:
        archive.add(root / "stack.toml", arcname="stack.toml")
    result = launcher("images", "load", str(stranger))
    assert result.returncode == 8 and "launcher-images.json" in result.stderr

    # Load, then `up` with pulls off starts everything without building again.
    result = launcher("images", "load", str(bundle), "--json")
    assert result.returncode == 0, result.stderr
    loaded = json_lines(result.stdout)
    assert {e["image"] for e in loaded if e["event"] == "image-done"} == set(names.values())
    assert docker_client.images.get(names["busybox"]).id == busybox_id
    result = launcher("up", "--pull", "never", "--json")
    assert result.returncode == 0, result.stderr
    events = json_lines(result.stdout)
    assert not [e for e in events if e["event"].startswith("image")]
    assert events[-1]["event"] == "finished" and events[-1]["ok"]


def test_pull_from_an_unreachable_registry_is_one_line_and_starts_nothing(image_stack, docker_client,
                                                                          compose_project):
    root, names, launcher = image_stack
    (closed,) = free_ports(1)  # nobody listens there: the engine's connection is refused on 127.0.0.1
    unreachable = f"127.0.0.1:{closed}/launcher-imgtest/x:1"
    job = root / "compose" / "job.yml"
    job.write_text(job.read_text().replace(names["busybox"], unreachable))

    result = launcher("up")
    assert result.returncode == 8, result.stderr
    error = result.stderr.strip().splitlines()
    assert len(error) == 1
    assert unreachable in error[0] and f"registry 127.0.0.1:{closed} cannot be reached" in error[0]
    assert "launcher images load FILE" in error[0]
    assert f"  {unreachable}: FAILED: registry 127.0.0.1:{closed} cannot be reached" in result.stdout
    assert project_containers(docker_client, compose_project) == {}

    result = launcher("images", "pull", "--json")
    assert result.returncode == 8
    events = json_lines(result.stdout)
    assert events[0] == {"event": "images-started", "action": "pull", "images": [unreachable], "total": 0}
    assert events[-1]["event"] == "image-failed" and events[-1]["image"] == unreachable


def test_pulls_show_real_progress_in_plain_and_json(image_stack, docker_client, compose_project, images):
    """A real pull by the engine, from a registry on 127.0.0.1 that this test serves (nothing leaves the machine)."""
    from tests.integration.loopback_registry import LoopbackRegistry

    root, names, launcher = image_stack
    with LoopbackRegistry() as registry:
        repository = f"launcher-imgtest-{uuid.uuid4().hex[:12]}/job"
        downloaded = registry.add(repository, "1", (600_000, 400_000), base=(docker_client, images["busybox"]))
        pulled = f"{registry.host}/{repository}:1"
        job = root / "compose" / "job.yml"
        job.write_text(job.read_text().replace(names["busybox"], pulled))
        try:
            assert listing(launcher)[pulled]["present"] is False

            # Plain: a line to start, percentage lines, a line per image done.
            result = launcher("images", "pull")
            assert result.returncode == 0, result.stderr
            lines = result.stdout.splitlines()
            assert lines[0] == f"pulling 1 image(s): {pulled}"
            percents = [int(line.split(":")[1].split("%")[0]) for line in lines if line.startswith("  pull: ")]
            assert percents and percents == sorted(percents) and percents[-1] == 100
            assert lines[-1].startswith(f"  pulled {pulled} (") and listing(launcher)[pulled]["present"]

            # JSON, inside `up`: progress events with the bytes of every layer, all before anything starts.
            remove_image(docker_client, pulled)
            result = launcher("up", "--json")
            assert result.returncode == 0, result.stderr
            events = json_lines(result.stdout)
            pulls = [e for e in events if e["event"].startswith("image") and e["action"] == "pull"]
            assert pulls[0] == {"event": "images-started", "action": "pull", "images": [pulled], "total": 0}
            progress = [e for e in pulls if e["event"] == "image-progress"]
            assert progress[-1]["overall_current"] == progress[-1]["overall_total"] == downloaded
            assert progress[-1]["percent"] == 100 and len(progress) >= 3
            assert pulls[-1] == {**pulls[-1], "event": "image-done", "image": pulled, "size": downloaded}
            first_start = next(i for i, e in enumerate(events) if e["event"] == "group-starting")
            assert events.index(pulls[-1]) < first_start
            assert project_containers(docker_client, compose_project)["job"].attrs["State"]["ExitCode"] == 0
        finally:
            launcher("down")
            remove_image(docker_client, pulled)
