"""Rendering, merging and atomic writing of env files, keyfiles, the store and .gitignore."""

from __future__ import annotations

import os
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dotenv import dotenv_values

from wizard.core.values import envfiles
from wizard.core.support import files
from wizard.core.values.envfiles import atomic_write, quote_value, write_outputs
from wizard.core.support.errors import ConfigError, EnvFileError
from wizard.core.manifest.stack import load_stack
from wizard.core.values.resolution import existing_values, resolve_values

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "secrets_stack"
GENERATED = [".launcher/values.env", ".env", "env/backend.env", "env/web.env", "secrets/mongo-keyfile", ".gitignore"]


@pytest.fixture
def root(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "stack")
    return tmp_path / "stack"


def load(root: Path):
    return load_stack(root / "stack.toml")


def values_for(stack, answers=None):
    return resolve_values(stack, answers or {}, existing_values(stack)).values


def write(root: Path, **kwargs):
    stack = load(root)
    return {change.path: change for change in write_outputs(stack, values_for(stack), **kwargs)}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_first_write_creates_every_file_private(root):
    changes = write(root)
    assert {path: change.action for path, change in changes.items()} == {path: "create" for path in GENERATED}
    for name in (".env", "env/backend.env", "env/web.env", ".launcher/values.env"):
        assert mode(root / name) == 0o600
    assert mode(root / "secrets/mongo-keyfile") == 0o400
    assert mode(root / ".launcher") == 0o700


def test_one_value_lands_in_several_outputs(root):
    write(root)
    stack_env = dotenv_values(root / ".env")
    backend = dotenv_values(root / "env/backend.env")
    web = dotenv_values(root / "env/web.env")
    assert stack_env["ANON_KEY"] == backend["SUPABASE_ANON_KEY"] == web["NEXT_PUBLIC_SUPABASE_ANON_KEY"]
    assert backend["DATABASE_URL"] == f"postgresql://postgres:{stack_env['POSTGRES_PASSWORD']}@db:5432/postgres"
    store = dotenv_values(root / ".launcher/values.env")
    assert store["ANON_KEY"] == stack_env["ANON_KEY"]
    assert (root / "secrets/mongo-keyfile").read_text().strip() == store["MONGO_KEYFILE"]


def test_second_write_touches_nothing(root):
    write(root)
    before = {name: (root / name).stat() for name in GENERATED}
    content = snapshot(root)
    changes = write(root)
    assert {change.action for change in changes.values()} == {"unchanged"}
    assert snapshot(root) == content
    for name in GENERATED:
        after = (root / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before[name].st_ino, before[name].st_mtime_ns)


def test_hand_added_keys_and_tuned_literals_survive_a_template_change(root):
    write(root)
    backend = root / "env/backend.env"
    text = backend.read_text().replace("WORKERS=2", "WORKERS=8")
    backend.write_text(text + "\n# my own switch\nMY_FLAG='on off'\nexport OTHER=1\n")
    template = root / "envtemplates/backend.env"
    template.write_text(template.read_text() + "SUPABASE_JWT_EXPIRY=${JWT_EXPIRY}\n")
    old = backend.read_bytes()

    changes = write(root, now=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc))

    change = changes["env/backend.env"]
    assert change.action == "update"
    assert change.added == ("SUPABASE_JWT_EXPIRY",)
    assert change.kept == ("MY_FLAG", "OTHER")
    parsed = dotenv_values(backend)
    assert parsed["WORKERS"] == "8"
    assert parsed["MY_FLAG"] == "on off"
    assert parsed["OTHER"] == "1"
    assert parsed["SUPABASE_JWT_EXPIRY"] == "3600"
    assert "# my own switch\nMY_FLAG='on off'\n" in backend.read_text()
    backup = root / ".launcher/backups/env/backend.env.20300102T030405Z"
    assert change.backup == str(backup.relative_to(root))
    assert backup.read_bytes() == old and mode(backup) == 0o600
    # And the merged file is stable from now on.
    assert write(root)["env/backend.env"].action == "unchanged"


def test_store_value_replaces_a_stale_output_value_and_reports_the_key(root):
    write(root)
    web = root / "env/web.env"
    web.write_text(web.read_text().replace("http://localhost:8800", "http://old:1"))
    change = write(root)["env/web.env"]
    assert change.updated == ("NEXT_PUBLIC_SUPABASE_URL",)
    assert dotenv_values(web)["NEXT_PUBLIC_SUPABASE_URL"] == "http://localhost:8800"


@pytest.mark.parametrize("value", ["plain", "with space", "a#b c", "dollar $HOME", "it's", 'quote"d', ""])
def test_values_round_trip_through_python_dotenv(tmp_path, value):
    path = tmp_path / "x.env"
    path.write_text(f"K={quote_value(value)}\n")
    assert dotenv_values(path, interpolate=False)["K"] == value
    if "$" in value:
        # Compose would interpolate $ in unquoted or double-quoted values.
        assert quote_value(value).startswith("'")


def test_malformed_existing_file_is_an_error_at_its_line_and_nothing_is_written(root):
    (root / ".env").write_text("# mine\nGOOD=1\n\nthis is not a binding\n")
    with pytest.raises(EnvFileError) as caught:
        write(root)
    assert caught.value.where.endswith(".env:4")
    assert not (root / ".launcher").exists()
    assert not (root / "env").exists()
    assert not (root / ".gitignore").exists()


def test_unknown_template_name_is_a_config_error_at_template_line(root):
    template = root / "envtemplates/web.env"
    template.write_text(template.read_text() + "TYPO=${ANON_KYE}\n")
    with pytest.raises(ConfigError) as caught:
        write(root)
    assert caught.value.where.endswith("envtemplates/web.env:4")
    assert "ANON_KEY" in caught.value.hint
    assert not (root / ".env").exists() and not (root / ".launcher").exists()


def test_dry_run_writes_nothing_but_says_what_would_change(root):
    changes = write(root, dry_run=True)
    assert {change.action for change in changes.values()} == {"create"}
    assert snapshot(root) == snapshot(FIXTURE.parent / "secrets_stack")


def test_identical_file_with_loose_mode_is_chmodded_not_rewritten(root):
    write(root)
    env = root / ".env"
    env.chmod(0o644)
    inode = env.stat().st_ino
    assert write(root)[".env"].action == "chmod"
    assert mode(env) == 0o600 and env.stat().st_ino == inode


def test_gitignore_keeps_its_content_and_adds_only_missing_entries(root):
    (root / ".gitignore").write_text("node_modules/\n.env")
    write(root)
    lines = (root / ".gitignore").read_text().splitlines()
    assert lines[0] == "node_modules/"
    assert lines.count(".env") == 1 and "/.env" not in lines
    for entry in ("/.launcher/", "/env/backend.env", "/env/web.env", "/secrets/mongo-keyfile"):
        assert entry in lines


def test_gitignore_entries_under_an_ignored_folder_are_not_added_again(root):
    (root / ".gitignore").write_text("/env/\nsecrets\n.launcher/\n/.env\n")
    write(root)
    assert (root / ".gitignore").read_text() == "/env/\nsecrets\n.launcher/\n/.env\n"


def test_a_hand_made_env_file_is_adopted_not_overwritten(root):
    (root / ".env").write_text("POSTGRES_PASSWORD=handMadePassword-0123456789abcdef\nEXTRA=1\n")
    write(root)
    assert dotenv_values(root / ".env")["POSTGRES_PASSWORD"] == "handMadePassword-0123456789abcdef"
    assert dotenv_values(root / ".env")["EXTRA"] == "1"
    assert "handMadePassword-0123456789abcdef" in (root / "env/backend.env").read_text()


# -- atomic writes ----------------------------------------------------------------------


def test_failure_between_write_and_rename_leaves_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "secret.env"
    target.write_bytes(b"OLD=1\n")

    def broken_replace(source, destination):
        assert Path(source).read_bytes() == b"NEW=2\n"  # the new content was fully written first
        raise OSError("disk on fire")

    monkeypatch.setattr(envfiles.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"NEW=2\n", 0o600)
    assert target.read_bytes() == b"OLD=1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.env"]


def test_stale_temp_files_from_a_crash_are_removed_on_the_next_write(root):
    write(root)
    stale = root / "env" / f".web.env.abc123{files.TEMP_SUFFIX}"
    stale.write_text("SECRET=half-written")
    web = root / "env/web.env"
    web.write_text(web.read_text() + "HAND=1\n")
    write(root)
    assert not stale.exists()


def test_atomic_write_sets_mode_before_the_name_appears(tmp_path, monkeypatch):
    seen = {}
    real_replace = os.replace

    def spy(source, destination):
        seen["mode"] = stat.S_IMODE(os.stat(source).st_mode)
        real_replace(source, destination)

    monkeypatch.setattr(envfiles.os, "replace", spy)
    atomic_write(tmp_path / "keyfile", b"abc\n", 0o400)
    assert seen["mode"] == 0o400
    assert mode(tmp_path / "keyfile") == 0o400
