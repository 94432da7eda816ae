"""The upgrade plan's pure parts: the disk it needs for a major move, the config keys that changed."""

from __future__ import annotations

from wizard.core.upgrade.plan import MARGIN_BYTES, MajorChange, UpgradePlan, _differing_keys, room_short


def major(database_bytes: int, free_bytes: int, service: str = "db") -> MajorChange:
    return MajorChange(service=service, volume=f"{service}-data", old_major=15, new_major=17, old_image="pg:15",
                       new_image="pg:17", database_bytes=database_bytes, free_bytes=free_bytes)


def test_a_move_needs_twice_the_databases_plus_a_margin():
    assert major(1_000_000_000, 0).needed_bytes == 2_000_000_000 + MARGIN_BYTES
    assert major(10_000_000_000, 0).needed_bytes == 21_000_000_000  # a tenth beats the fixed margin


def test_room_is_short_only_when_the_figures_say_so_and_the_refusal_gives_them():
    enough = 2 * 50_000_000 + MARGIN_BYTES
    assert room_short(UpgradePlan(images=(), majors=(major(50_000_000, enough),))) == ""
    assert room_short(UpgradePlan(images=(), majors=())) == ""
    short = room_short(UpgradePlan(images=(), majors=(major(50_000_000, enough - 1), major(20_000_000, enough, "b"))))
    assert short.startswith("not enough disk space for the upgrade")
    assert "needs 652 MB" in short and "50 MB (db) + 20 MB (b)" in short and "356 MB is free" in short


def test_config_changes_name_keys_never_values_and_leave_the_image_to_the_image_change():
    before = {"image": "a:1", "environment": {"TOKEN": "old-secret"}, "command": ["run"]}
    after = {"image": "a:2", "environment": {"TOKEN": "new-secret"}, "command": ["run"], "healthcheck": {"test": ["x"]}}
    assert _differing_keys(before, after) == ("environment", "healthcheck")
    assert _differing_keys(before, dict(before)) == ()
