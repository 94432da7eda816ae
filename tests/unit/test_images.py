"""Image inventory rules, pull progress folding, archives and their plain/JSON rendering, over a scripted store."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from wizard.core.images import bundle as imagebundle
from wizard.core.support.errors import BundleInvalid, ImagesUnavailable
from wizard.core.support.events import ImageDone, ImageFailed, ImageProgress, ImagesStarted, consume
from wizard.core.images.inventory import NeededImage, PullTally, plan_images, pull, pull_failure, registry_of
from wizard.core.docker.imagestore import LocalImage, normalize
from wizard.frontends.images import ProgressLines, render_images


def downloading(layer: str, current: int, total: int) -> dict:
    return {"status": "Downloading", "progressDetail": {"current": current, "total": total},
            "progress": "[=>   ]", "id": layer}


def engine_pull(layers: dict[str, int], *, steps: int = 4, fail: str = "") -> list[dict]:
    """Messages in the order the engine sends them for one image (as recorded from dockerd 20.10)."""
    messages: list[dict] = [{"status": "Pulling from launcher/x", "id": "1"}]
    messages += [{"status": "Pulling fs layer", "progressDetail": {}, "id": layer} for layer in layers]
    if fail:
        return messages + [{"errorDetail": {"message": fail}, "error": fail}]
    for step in range(1, steps + 1):
        messages += [downloading(layer, size * step // steps, size) for layer, size in layers.items()]
    for layer in layers:
        messages += [{"status": "Verifying Checksum", "progressDetail": {}, "id": layer},
                     {"status": "Download complete", "progressDetail": {}, "id": layer},
                     {"status": "Extracting", "progressDetail": {"current": 1, "total": layers[layer]}, "id": layer},
                     {"status": "Pull complete", "progressDetail": {}, "id": layer}]
    return messages + [{"status": "Digest: sha256:" + "ab" * 32}, {"status": "Status: Downloaded newer image"}]


class ScriptedStore:
    """The ImageStore calls, answered from scripts; records what the engine would have been sent."""

    def __init__(self, pulls=None, local=(), saved: bytes = b"") -> None:
        self.pulls = pulls or {}
        self.local = list(local)
        self.saved = saved
        self.loaded: list[bytes] = []

    def pull(self, reference):
        yield from self.pulls[reference]

    def find(self, references):
        by_name = {normalize(tag): image for image in self.local for tag in image.tags}
        return {reference: by_name.get(normalize(reference)) for reference in references}

    def save(self, references):
        for start in range(0, len(self.saved), 1000):
            yield self.saved[start:start + 1000]

    def load(self, archive):
        self.loaded.append(archive.read())
        return [{"stream": "Loaded image: x\n"}]


def need(image, *, present=True, build=False, policy="", size=1000, image_id="sha256:aa"):
    local = LocalImage(id=image_id, tags=(image,), digests=(), size=size) if present else None
    return NeededImage(image=image, services=(image.split("/")[-1].split(":")[0],), groups=("g",), build=build,
                       pull_policy=policy, local=local)


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize("reference, short", [
    ("busybox", "busybox:latest"), ("docker.io/library/redis:7", "redis:7"), ("docker.io/bitnami/x:1", "bitnami/x:1"),
    ("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest"), ("ghcr.io/a/b:2", "ghcr.io/a/b:2"),
    ("x@sha256:ab", "x@sha256:ab")])
def test_references_compare_as_docker_lists_them(reference, short):
    assert normalize(reference) == short


def test_registry_and_failure_words():
    assert registry_of("redis:7") == "docker.io" and registry_of("supabase/gotrue:v2") == "docker.io"
    assert registry_of("127.0.0.1:5999/x:1") == "127.0.0.1:5999" and registry_of("localhost/x") == "localhost"
    refused = 'Get "https://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused'
    assert pull_failure("127.0.0.1:5999/x:1", refused) == "registry 127.0.0.1:5999 cannot be reached (connection refused)"
    assert pull_failure("redis:7", "lookup registry-1.docker.io: no such host").endswith("(no such host)")
    assert pull_failure("ghcr.io/a/b:1", "manifest unknown") == "no such image on ghcr.io"


def test_plan_sorts_images_by_pull_policy():
    here, gone = need("a/here:1"), need("a/gone:1", present=False)
    pinned = need("a/pinned:1", present=False, policy="never")
    built = need("stack-tool", present=False, build=True)
    missing = plan_images([here, gone, pinned, built], "missing")
    assert missing.to_pull == ("a/gone:1",) and missing.blocked == (pinned,) and missing.to_build == (built,)
    always = plan_images([here, gone, built], "always")
    assert always.to_pull == ("a/here:1", "a/gone:1") and not always.blocked
    never = plan_images([here, gone, built], "never")
    assert never.to_pull == () and never.blocked == (gone,) and never.to_build == (built,)


# --------------------------------------------------------------------------- pulling


def test_tally_counts_downloaded_bytes_and_skips_layers_already_here():
    tally = PullTally()
    for message in engine_pull({"l1": 1000, "l2": 3000}, steps=2)[:5]:  # headers, then each layer half-way
        tally.update(message)
    assert (tally.current, tally.total) == (500 + 1500, 4000)
    tally.update({"status": "Already exists", "progressDetail": {}, "id": "l0"})
    for message in engine_pull({"l1": 1000, "l2": 3000}, steps=2)[5:]:
        tally.update(message)
    assert (tally.current, tally.total) == (4000, 4000) and tally.digest == "sha256:" + "ab" * 32


def test_parallel_pull_reports_every_image_and_names_the_failure():
    refused = "dial tcp 127.0.0.1:5999: connect: connection refused"
    store = ScriptedStore({"a/one:1": engine_pull({"l1": 10_000, "l2": 30_000}, steps=10),
                           "a/two:1": engine_pull({"l3": 5_000}, steps=5),
                           "127.0.0.1:5999/x:1": engine_pull({"l4": 1}, fail=refused)})
    events = []
    with pytest.raises(ImagesUnavailable) as raised:
        consume(pull(store, ["a/one:1", "a/two:1", "127.0.0.1:5999/x:1", "a/one:1"]), events.append)
    assert events[0] == ImagesStarted(action="pull", images=("a/one:1", "a/two:1", "127.0.0.1:5999/x:1"))
    done = {e.image: e.size for e in events if isinstance(e, ImageDone)}
    assert done == {"a/one:1": 40_000, "a/two:1": 5_000}
    failed = [e for e in events if isinstance(e, ImageFailed)]
    assert failed == [ImageFailed("pull", "127.0.0.1:5999/x:1",
                                  "registry 127.0.0.1:5999 cannot be reached (connection refused)")]
    progress = [e for e in events if isinstance(e, ImageProgress)]
    assert progress[-1].percent == 100 and progress[-1].overall_current == progress[-1].overall_total == 45_000
    assert len(progress) <= 110  # throttled: about one event per percent, not one per engine message
    assert "127.0.0.1:5999/x:1" in raised.value.message and "launcher images load FILE" in raised.value.hint


# --------------------------------------------------------------------------- archives


def docker_save_bytes() -> bytes:
    """A small tar shaped like `docker save` output."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in (("manifest.json", b'[{"RepoTags": ["a/one:1"]}]'), ("layer.tar", bytes(range(256)) * 40)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_archive_round_trip_and_damage_refused_before_the_engine_sees_it(tmp_path):
    saved = docker_save_bytes()
    one, two = need("a/one:1", image_id="sha256:11"), need("a/two:1", image_id="sha256:22")
    store = ScriptedStore(saved=saved, local=[one.local, two.local])
    target = tmp_path / "images.bundle"
    events = []
    manifest = consume(imagebundle.save(store, [one, two], target, stack="demo"), events.append)
    assert target.stat().st_mode & 0o777 == 0o600 and not list(tmp_path.glob(".images.bundle*"))
    with tarfile.open(target) as archive:  # a plain tar: the header written after the data is right
        assert archive.getnames() == ["images.tar", "launcher-images.json"]
        assert archive.extractfile("images.tar").read() == saved
        assert json.loads(archive.extractfile("launcher-images.json").read()) == manifest
    assert manifest["archive"] == {"member": "images.tar", "size": len(saved),
                                   "sha256": hashlib.sha256(saved).hexdigest()}
    assert events[-1] == ImageDone("save", str(target), len(saved), events[-1].elapsed)

    loaded = []
    consume(imagebundle.load(store, target), loaded.append)
    assert store.loaded == [saved]
    assert {e.image for e in loaded if isinstance(e, ImageDone)} == {"a/one:1", "a/two:1"}
    assert [e.action for e in loaded if isinstance(e, ImagesStarted)] == ["verify", "load"]

    data = bytearray(target.read_bytes())
    data[BLOCK_OF_DATA] ^= 0x01
    damaged = tmp_path / "damaged.bundle"
    damaged.write_bytes(bytes(data))
    with pytest.raises(BundleInvalid, match="sha256"):
        consume(imagebundle.load(store, damaged))
    assert len(store.loaded) == 1  # nothing more reached the engine

    store.local = [one.local]  # loaded, but a/two:1 did not come out of it
    with pytest.raises(BundleInvalid, match="a/two:1"):
        consume(imagebundle.load(store, target))


BLOCK_OF_DATA = 512 + 700  # a byte inside images.tar, past its header


def test_save_refuses_missing_images_and_writes_nothing(tmp_path):
    store = ScriptedStore(saved=b"x")
    with pytest.raises(ImagesUnavailable, match="a/gone:1"):
        consume(imagebundle.save(store, [need("a/here:1"), need("a/gone:1", present=False)], tmp_path / "b.tar",
                                 stack="demo"))
    assert list(tmp_path.iterdir()) == []


def test_save_leaves_no_partial_file_when_the_engine_stream_breaks(tmp_path):
    class Broken(ScriptedStore):
        def save(self, references):
            yield b"x" * 5000
            raise ConnectionError("engine went away")

    with pytest.raises(ConnectionError):
        consume(imagebundle.save(Broken(), [need("a/one:1")], tmp_path / "b.tar", stack="demo"))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- rendering


def test_plain_progress_prints_a_line_every_ten_percent():
    printer = ProgressLines()
    lines = printer.lines(ImagesStarted("pull", ("a/one:1", "a/two:1")))
    for percent in range(0, 101):
        lines += printer.lines(ImageProgress("pull", "a/one:1", percent, 100, percent * 10**6, 100 * 10**6, percent))
    lines += printer.lines(ImageDone("pull", "a/one:1", 100 * 10**6, 2.5))
    lines += printer.lines(ImageFailed("pull", "a/two:1", "registry x cannot be reached (connection refused)"))
    assert lines[0] == "pulling 2 image(s): a/one:1, a/two:1"
    assert lines[1:11] == [f"  pull: {p}% ({p}.0 MB of 100.0 MB)" if p < 100 else "  pull: 100% (100.0 MB of 100.0 MB)"
                           for p in range(10, 101, 10)]
    assert lines[11:] == ["  pulled a/one:1 (100.0 MB, 2.5s)",
                          "  a/two:1: FAILED: registry x cannot be reached (connection refused)"]


def test_json_events_carry_bytes_and_percent():
    event = ImageProgress("pull", "a/one:1", 5, 10, 50, 200, 25)
    assert json.loads(json.dumps(event.to_dict())) == {
        "event": "image-progress", "action": "pull", "image": "a/one:1", "current": 5, "total": 10,
        "overall_current": 50, "overall_total": 200, "percent": 25}


def test_listing_table_says_what_is_missing_and_how_to_get_it():
    text = render_images("demo", [need("a/here:1", size=2_500_000), need("a/gone:1", present=False),
                                  need("demo-tool", present=False, build=True)])
    lines = text.splitlines()
    assert lines[0].split() == ["IMAGE", "SERVICES", "SOURCE", "HERE", "SIZE", "DIGEST"]
    assert lines[1].split()[:5] == ["a/here:1", "here", "registry", "yes", "2.5"]
    assert lines[-1] == "stack demo: 1 of 3 image(s) here (`launcher images pull` gets 1; `launcher up` builds 1)"



def test_terminal_bars_show_each_image_and_the_batch():
    from rich.console import Console

    from wizard.frontends.images import ProgressBars

    output = io.StringIO()
    bars = ProgressBars(Console(file=output, force_terminal=True, width=110, color_system=None))
    bars.handle(ImagesStarted("pull", ("a/one:1", "a/two:1")))
    bars.handle(ImageProgress("pull", "a/one:1", 5_000_000, 10_000_000, 5_000_000, 20_000_000, 25))
    bars.handle(ImageProgress("pull", "a/two:1", 10_000_000, 10_000_000, 15_000_000, 20_000_000, 75))
    bars.handle(ImageDone("pull", "a/two:1", 10_000_000, 1.0))
    bars.handle(ImageFailed("pull", "a/one:1", "registry x cannot be reached (connection refused)"))
    bars.close()
    text = output.getvalue()
    assert "pulling 2 image(s)" in text and "75%" in text and "15.0 MB of 20.0 MB" in text
    assert "✓ a/two:1" in text and "✗ a/one:1: registry x cannot be reached (connection refused)" in text
    assert "━" in text


def _bundle_with(tmp_path, members) -> Path:
    """An archive holding the given tar members (TarInfo, data or None), as someone hostile could make it."""
    target = tmp_path / "hostile.bundle"
    with tarfile.open(target, mode="w") as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


def _info(name: str, **fields) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    for key, value in fields.items():
        setattr(info, key, value)
    return info


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_a_link_member_is_refused_before_anything_is_read(tmp_path, kind):
    manifest = json.dumps({"format": imagebundle.FORMAT, "images": [{"image": "a/one:1", "id": "sha256:11"}],
                           "archive": {"member": "images.tar", "size": 4, "sha256": "0" * 64}}).encode()
    target = _bundle_with(tmp_path, [(_info("images.tar", type=kind, linkname="elsewhere.tar"), None),
                                     (_info("launcher-images.json", size=len(manifest)), manifest)])
    store = ScriptedStore(saved=b"", local=[])
    with pytest.raises(BundleInvalid, match="images.tar is not a plain file") as caught:
        consume(imagebundle.load(store, target))
    assert caught.value.exit_code == 8 and store.loaded == []


def test_an_oversized_manifest_member_is_refused_without_reading_it(tmp_path, monkeypatch):
    huge = 64 << 20
    target = tmp_path / "huge.bundle"
    with open(target, "wb") as file:  # a sparse file: the header says 64 MiB, the disk holds nothing
        file.write(_info("launcher-images.json", size=huge).tobuf(format=tarfile.GNU_FORMAT))
        file.truncate(512 + huge + 1024)
    opened = []
    monkeypatch.setattr(tarfile.TarFile, "extractfile", lambda self, member: opened.append(member))
    with pytest.raises(BundleInvalid, match="more than a manifest can be"):
        consume(imagebundle.load(ScriptedStore(saved=b"", local=[]), target))
    assert opened == []
