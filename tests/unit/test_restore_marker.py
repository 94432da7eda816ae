"""The restore marker is read strictly: the launcher's own shape, or one line and exit 3."""

from __future__ import annotations

import json
import os
import random
import stat

import pytest

from tests.unit.test_fuzz_archives import HOSTILE, ROUNDS, SEED, mutate_bytes
from wizard.core.lifecycle import restoremarker as marker
from wizard.core.support.errors import ConfigError, PreflightFailed
from wizard.exitcodes import ExitCode

GOOD = marker.RestoreMarker(
    snapshot="good", started="2026-12-07T22:00:00+00:00",
    databases=(marker.DatabaseNote(service="postgres", database="postgres"),),
    volumes=(marker.VolumeNote(volume="p_files", key="files", anonymous=False, service="web", mount="/srv/files"),))


def test_a_marker_is_written_private_and_read_back_and_up_names_both_ways_out(tmp_path):
    assert marker.read(tmp_path) is None
    marker.write(tmp_path, GOOD)
    assert stat.S_IMODE((tmp_path / marker.MARKER).stat().st_mode) == 0o600
    assert marker.read(tmp_path) == GOOD
    with pytest.raises(PreflightFailed) as refused:
        marker.refuse_if_unfinished(tmp_path)
    line = refused.value.one_line()
    assert "snapshot good" in line and "`launcher snapshot restore good`" in line and "--abandon" in line
    marker.remove(tmp_path)
    marker.refuse_if_unfinished(tmp_path)


@pytest.mark.parametrize("text", ["", "[]", "{", '{"format": 1}', '{"format": 2, "snapshot": "x", "started": "", '
                                  '"databases": [], "volumes": []}', json.dumps({**GOOD.to_dict(), "extra": 1}),
                                  json.dumps({**GOOD.to_dict(), "snapshot": "a\nb"}),
                                  json.dumps({**GOOD.to_dict(), "volumes": [{"volume": "v"}]}),
                                  json.dumps({**GOOD.to_dict(), "format": True})])
def test_a_marker_of_another_shape_is_one_line_and_exit_3(tmp_path, text):
    path = tmp_path / marker.MARKER
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(ConfigError) as wrong:
        marker.read(tmp_path)
    assert wrong.value.exit_code == ExitCode.CONFIG
    assert "\n" not in wrong.value.one_line() and ".launcher/restore.json" in wrong.value.one_line()


def test_a_link_in_the_markers_place_is_refused(tmp_path):
    (tmp_path / ".launcher").mkdir()
    (tmp_path / "elsewhere.json").write_text(json.dumps(GOOD.to_dict()))
    os.symlink(tmp_path / "elsewhere.json", tmp_path / marker.MARKER)
    with pytest.raises(ConfigError):
        marker.read(tmp_path)


def test_fuzzed_markers_read_or_fail_as_one_line(tmp_path):
    rng = random.Random(SEED + 4)
    (tmp_path / ".launcher").mkdir()
    for round_ in range(ROUNDS):
        data = GOOD.to_dict()
        target = rng.choice([data, data["databases"][0], data["volumes"][0]])
        target[rng.choice(sorted(target) + ["extra"])] = rng.choice(HOSTILE)
        raw = json.dumps(data).encode()
        if rng.random() < 0.3:
            raw = mutate_bytes(raw, rng)
        (tmp_path / marker.MARKER).write_bytes(raw)
        try:
            marker.read(tmp_path)
        except ConfigError as error:
            assert "\n" not in error.one_line(), f"seed {SEED} round {round_}"
        except Exception as exc:  # noqa: BLE001 - the point of the fuzzer
            pytest.fail(f"seed {SEED} round {round_}: {type(exc).__name__}: {exc}")
