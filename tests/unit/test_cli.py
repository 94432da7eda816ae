"""The CLI as a user runs it: the console script in a subprocess."""

from __future__ import annotations

import json

from tests.unit.manifest_factory import groups_manifest, write_stack
from wizard import __version__
from wizard.exitcodes import ExitCode


def test_version(run_launcher):
    result = run_launcher("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"launcher {__version__}"


def test_plan_prints_waves(tmp_path, run_launcher):
    write_stack(tmp_path, groups_manifest({"db": [], "cache": [], "app": ["db", "cache"]}),
                compose=("compose/db.yml", "compose/cache.yml", "compose/app.yml"))
    result = run_launcher("plan", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["stack demo: 2 wave(s)", "wave 1: db, cache", "wave 2: app"]
    assert result.stderr == ""


def test_plan_json_flag_before_or_after_command(tmp_path, run_launcher):
    write_stack(tmp_path, groups_manifest({"db": []}), compose=("compose/db.yml",))
    for args in (("plan", "--json"), ("--json", "plan")):
        result = run_launcher(*args, "--stack", str(tmp_path / "stack.toml"))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["waves"][0]["groups"][0]["name"] == "db"


def test_cycle_gives_one_line_and_config_exit_code(tmp_path, run_launcher):
    write_stack(tmp_path, groups_manifest({"a": ["b"], "b": ["a"]}), compose=("compose/a.yml", "compose/b.yml"))
    result = run_launcher("plan", cwd=tmp_path)
    assert result.returncode == ExitCode.CONFIG
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("launcher: stack.toml:")
    assert "dependency cycle: a -> b -> a — remove one of these `after` entries" in line


def test_bad_toml_gives_config_exit_code(tmp_path, run_launcher):
    (tmp_path / "stack.toml").write_text('[stack]\nname = "x\n')
    result = run_launcher("plan", cwd=tmp_path)
    assert result.returncode == ExitCode.CONFIG
    [line] = result.stderr.splitlines()
    assert "stack.toml:2: invalid TOML" in line


def test_missing_manifest_and_bad_flag(tmp_path, run_launcher):
    result = run_launcher("plan", cwd=tmp_path)
    assert result.returncode == ExitCode.CONFIG
    assert "no stack.toml in" in result.stderr
    result = run_launcher("plan", "--bogus", cwd=tmp_path)
    assert result.returncode == ExitCode.USAGE
    assert len(result.stderr.splitlines()) == 1 and "unrecognized arguments: --bogus" in result.stderr


def test_config_and_runtime_exit_codes_differ():
    from wizard.core.support import errors
    from wizard.exitcodes import exit_code_for

    codes = {exit_code_for(errors.ConfigError("x")), exit_code_for(errors.DockerUnavailable("x")),
             exit_code_for(errors.Unhealthy("x")), exit_code_for(errors.SeedFailed("x")),
             exit_code_for(RuntimeError("x")), exit_code_for(KeyboardInterrupt())}
    assert len(codes) == 6
    assert exit_code_for(KeyboardInterrupt()) == 130
