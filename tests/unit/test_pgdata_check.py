"""The Postgres data check `up` runs before anything starts: what it reads, when it skips, what it keeps.

The real reading (a throwaway container) is tested on the engine in
tests/integration/test_up_pgdata.py; here an engine with scripted volumes counts the reads.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.fake_engine import FakeEngine, container, spec
from wizard.core.docker.containers import container_from_summary
from wizard.core.docker.model import model_from_config
from wizard.core.docker.pgdata import PGDATA, pgdata_volume
from wizard.core.docker.protocol import ReadsVolumes
from wizard.core.lifecycle.pgdatacheck import check_data_versions
from wizard.core.support.errors import PreflightFailed

IMAGE, IMAGE_ID = "postgres:17", "sha256:seventeen"


class VolumeEngine(FakeEngine):
    """A fake engine that also has volumes, each holding data of one major (None: empty)."""

    def __init__(self, specs, volumes: dict[str, int | None], server: int = 17, **kwargs):
        super().__init__(specs, **kwargs)
        self.volumes = volumes
        self.server = server
        self.reads: list[tuple[str, str]] = []

    def has_volume(self, name: str) -> bool:
        return name in self.volumes

    def pgdata_majors(self, image: str, volume: str) -> tuple[int | None, int]:
        self.reads.append((image, volume))
        return self.volumes[volume], self.server


def db(volume: str = "demo_pgdata") -> object:
    return dataclasses.replace(spec("db", "data"), image=IMAGE, pgdata_volume=volume)


def run(engine, specs, containers=None) -> list:
    return list(check_data_versions(engine, specs, {IMAGE: IMAGE_ID}, containers))


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LAUNCHER_NO_CACHE", raising=False)


def test_the_fake_has_the_ability_the_check_looks_for():
    assert isinstance(VolumeEngine([db()], {}), ReadsVolumes)


def test_data_of_another_major_is_refused_in_one_line_naming_service_volume_majors_and_the_upgrade():
    engine = VolumeEngine([db()], {"demo_pgdata": 15})
    with pytest.raises(PreflightFailed) as refused:
        run(engine, [db()])
    line = refused.value.one_line()
    for words in ("service db", "demo_pgdata", "PostgreSQL 15 data", IMAGE, "PostgreSQL 17",
                  "`launcher upgrade --plan`", "`launcher upgrade`"):
        assert words in line, line
    assert refused.value.exit_code == 8
    # No container of db runs: the upgrade needs the old server, and the line says so.
    assert "previous image first" in line


def test_a_running_old_server_is_not_asked_to_be_brought_up():
    engine = VolumeEngine([db()], {"demo_pgdata": 15})
    old = dataclasses.replace(container("db", health="healthy"), image_id="sha256:fifteen",
                              volumes=((PGDATA, "demo_pgdata"),))
    with pytest.raises(PreflightFailed) as refused:
        run(engine, [db()], [old])
    assert "previous image first" not in refused.value.one_line()


def test_no_volume_yet_is_nothing_to_read():
    engine = VolumeEngine([db()], {})
    assert run(engine, [db()]) == [] and engine.reads == []


def test_a_match_is_read_once_then_kept_until_the_image_changes():
    engine = VolumeEngine([db()], {"demo_pgdata": 17})
    [check] = run(engine, [db()])
    assert check.status == "ok" and "PostgreSQL 17 data" in check.detail
    assert run(engine, [db()]) == []
    assert len(engine.reads) == 1
    list(check_data_versions(engine, [db()], {IMAGE: "sha256:rebuilt"}, None))
    assert len(engine.reads) == 2


def test_a_volume_found_missing_forgets_what_was_kept_about_its_name():
    engine = VolumeEngine([db()], {"demo_pgdata": 17})
    run(engine, [db()])
    del engine.volumes["demo_pgdata"]
    run(engine, [db()])  # `down --volumes`, then `up`: a new volume under the same name
    engine.volumes["demo_pgdata"] = 15
    with pytest.raises(PreflightFailed):
        run(engine, [db()])


def test_a_healthy_container_of_this_image_on_this_volume_needs_no_read():
    engine = VolumeEngine([db()], {"demo_pgdata": 15})  # would be refused if read
    mine = dataclasses.replace(container("db", health="healthy"), image_id=IMAGE_ID, volumes=((PGDATA, "demo_pgdata"),))
    assert run(engine, [db()], [mine]) == [] and engine.reads == []
    # Not proof: still starting, another volume, another image, or up for a moment without a healthcheck.
    for other in (dataclasses.replace(mine, health="starting"),
                  dataclasses.replace(mine, volumes=((PGDATA, "elsewhere"),)),
                  dataclasses.replace(mine, image_id="sha256:fifteen"),
                  dataclasses.replace(mine, health="", uptime=0.0)):
        with pytest.raises(PreflightFailed):
            run(engine, [db()], [other])


def test_engines_without_volumes_of_their_own_and_services_without_a_data_volume_are_skipped():
    assert run(FakeEngine([db()]), [db()]) == []
    engine = VolumeEngine([spec("web", "app")], {"demo_pgdata": 15})
    assert run(engine, [spec("web", "app")]) == [] and engine.reads == []


def test_the_model_names_the_volume_the_service_really_mounts_the_upgrade_switch_included():
    config = {"name": "demo", "services": {
        "db": {"image": IMAGE, "volumes": [{"type": "volume", "source": "pgdata", "target": PGDATA + "/"},
                                           {"type": "bind", "source": "/x", "target": "/y"}]},
        "cache": {"image": "redis", "volumes": [{"type": "volume", "source": "other", "target": "/data"}]}},
        "volumes": {"pgdata": {"name": "demo_pgdata"}, "other": {"name": "demo_other"}}}
    model = model_from_config(config, {})
    assert model.service("db").pgdata_volume == "demo_pgdata"
    assert model.service("cache").pgdata_volume == ""
    config["volumes"]["pgdata"] = {"name": "demo_pgdata-pg17", "external": True}
    assert model_from_config(config, {}).service("db").pgdata_volume == "demo_pgdata-pg17"


def test_the_list_call_gives_each_container_its_image_and_named_volumes():
    parsed = container_from_summary({"Id": "c1", "Names": ["/demo-db-1"], "State": "running", "Status": "Up 3 minutes",
                                     "ImageID": IMAGE_ID, "Labels": {},
                                     "Mounts": [{"Type": "volume", "Name": "demo_pgdata", "Destination": PGDATA},
                                                {"Type": "bind", "Source": "/x", "Destination": "/y"}]})
    assert parsed.image_id == IMAGE_ID and parsed.volumes == ((PGDATA, "demo_pgdata"),)
    assert pgdata_volume([{"Type": "volume", "Name": "v", "Destination": PGDATA + "/"}]) == "v"
    assert pgdata_volume([{"Type": "bind", "Source": "/x", "Destination": PGDATA}]) is None
