"""Answers, resolution order, settings validation and the stored values contract."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import jwt
import pytest

from wizard.core.support.errors import AnswerMissing, LauncherError, NotInitialized, UsageError
from wizard.core.manifest.stack import SettingSpec, load_stack
from wizard.core.values.resolution import (
    Answer,
    collect_answers,
    current_values,
    existing_values,
    initialize,
    parse_sets,
    prefill,
    resolve_values,
    validate_setting,
)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "secrets_stack"


@pytest.fixture
def root(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "stack")
    return tmp_path / "stack"


@pytest.fixture
def stack(root):
    return load_stack(root / "stack.toml")


def setting(kind: str, choices: tuple[str, ...] = ()) -> SettingSpec:
    return SettingSpec(name="X", kind=kind, default=None, choices=choices)


# -- settings validation -------------------------------------------------------------------


@pytest.mark.parametrize("kind,given,expected", [
    ("port", "8080", "8080"),
    ("port", " 0443 ", "443"),
    ("int", "-5", "-5"),
    ("bool", "Yes", "true"),
    ("bool", "off", "false"),
    ("bool", "1", "true"),
    ("url", "http://localhost:8800", "http://localhost:8800"),
    ("url", "postgresql://u:p@db:5432/x", "postgresql://u:p@db:5432/x"),
    ("host", "db", "db"),
    ("host", "host.docker.internal", "host.docker.internal"),
    ("host", "127.0.0.1", "127.0.0.1"),
    ("host", "::1", "::1"),
    ("string", "anything goes", "anything goes"),
])
def test_valid_settings_are_normalized(kind, given, expected):
    assert validate_setting(setting(kind), given) == expected


@pytest.mark.parametrize("kind,given", [
    ("port", "0"), ("port", "65536"), ("port", "http"), ("int", "1.5"), ("bool", "maybe"),
    ("url", "localhost:8800"), ("url", "http://"), ("host", "has space"), ("host", "-bad-"),
    ("string", "two\nlines"),
])
def test_invalid_settings_are_refused(kind, given):
    with pytest.raises(ValueError):
        validate_setting(setting(kind), given)


def test_choices_are_enforced_after_normalizing():
    assert validate_setting(setting("string", ("debug", "info")), "info") == "info"
    with pytest.raises(ValueError, match="debug, info"):
        validate_setting(setting("string", ("debug", "info")), "loud")


# -- answers ----------------------------------------------------------------------------------


def test_set_flags_parse_and_keep_everything_after_the_first_equals(stack):
    answers = parse_sets(stack, ["LOG_LEVEL=debug", "API_EXTERNAL_URL=http://x:1/?a=b"])
    assert answers["API_EXTERNAL_URL"] == Answer("http://x:1/?a=b", "--set API_EXTERNAL_URL")


@pytest.mark.parametrize("item", ["JWT_SECRET", "=value", "not a name=secretvalue123", "s3cr3tValue!"])
def test_malformed_set_is_a_usage_error_that_never_echoes_a_value(stack, item):
    with pytest.raises(UsageError) as caught:
        parse_sets(stack, [item])
    text = caught.value.one_line()
    assert "NAME=VALUE" in text
    assert "secretvalue123" not in text and "s3cr3tValue" not in text


def test_unknown_set_name_suggests_the_close_one_and_hides_the_value(stack):
    with pytest.raises(UsageError) as caught:
        parse_sets(stack, ["JWT_SECRT=hunter2hunter2"])
    assert "JWT_SECRET" in caught.value.hint
    assert "hunter2" not in caught.value.one_line()


def test_set_beats_environment_beats_answers_file(stack, tmp_path):
    toml = tmp_path / "answers.toml"
    toml.write_text('LOG_LEVEL = "warning"\nPOSTGRES_PORT = 6000\nENABLE_SIGNUP = false\n')
    environ = {"LAUNCHER_LOG_LEVEL": "info", "LAUNCHER_POSTGRES_PORT": "6001", "LAUNCHER_STACK": "ignored"}
    answers = collect_answers(stack, sets=["LOG_LEVEL=debug"], answers_file=str(toml), environ=environ)
    assert answers["LOG_LEVEL"].value == "debug"
    assert answers["POSTGRES_PORT"] == Answer("6001", "LAUNCHER_POSTGRES_PORT")
    assert answers["ENABLE_SIGNUP"] == Answer("false", f"{toml}:3")


def test_dotenv_answers_file(stack, tmp_path):
    answers_file = tmp_path / "answers.env"
    answers_file.write_text("# comment\nLOG_LEVEL=debug\nDB_HOST='db2'\n")
    answers = collect_answers(stack, answers_file=str(answers_file), environ={})
    assert {name: answer.value for name, answer in answers.items()} == {"LOG_LEVEL": "debug", "DB_HOST": "db2"}


@pytest.mark.parametrize("name,text,line", [
    ("a.toml", 'LOG_LEVEL = "debug"\nNOPE = "x"\n', 2),
    ("a.env", "LOG_LEVEL=debug\n\nNOPE=x\n", 3),
])
def test_unknown_name_in_answers_file_points_at_its_line(stack, tmp_path, name, text, line):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        collect_answers(stack, answers_file=str(path), environ={})
    assert caught.value.where == f"{path}:{line}"


def test_broken_answers_files_are_usage_errors(stack, tmp_path):
    bad_toml = tmp_path / "a.toml"
    bad_toml.write_text("LOG_LEVEL = \n")
    bad_env = tmp_path / "a.env"
    bad_env.write_text("LOG_LEVEL=debug\nno equals here\n")
    for path in (bad_toml, bad_env, tmp_path / "missing.toml"):
        with pytest.raises(UsageError):
            collect_answers(stack, answers_file=str(path), environ={})


# -- resolution -------------------------------------------------------------------------------


def test_first_resolution_uses_defaults_and_generates_secrets(stack):
    result = resolve_values(stack, {}, {})
    assert result.origins["POSTGRES_PORT"] == "default" and result.values["ENABLE_SIGNUP"] == "true"
    assert set(result.generated()) == {spec.name for spec in stack.secrets}


def test_existing_secrets_are_kept_and_answers_override(stack):
    first = resolve_values(stack, {}, {})
    second = resolve_values(stack, {"LOG_LEVEL": Answer("debug", "--set LOG_LEVEL")}, first.values)
    assert second.generated() == []
    assert {k: v for k, v in second.values.items() if k != "LOG_LEVEL"} == \
        {k: v for k, v in first.values.items() if k != "LOG_LEVEL"}
    assert second.values["LOG_LEVEL"] == "debug"


def test_answering_the_signing_secret_re_signs_its_jwts(stack):
    first = resolve_values(stack, {}, {})
    new_secret = "n" * 48
    second = resolve_values(stack, {"JWT_SECRET": Answer(new_secret, "LAUNCHER_JWT_SECRET")}, first.values)
    assert second.origins["ANON_KEY"] == second.origins["SERVICE_ROLE_KEY"] == "re-signed"
    claims = jwt.decode(second.values["SERVICE_ROLE_KEY"], new_secret, algorithms=["HS256"])
    assert claims["role"] == "service_role"
    assert second.values["POSTGRES_PASSWORD"] == first.values["POSTGRES_PASSWORD"]


def test_rotate_regenerates_only_what_is_named(stack, monkeypatch):
    first = resolve_values(stack, {}, {})
    # A re-signed JWT differs by its iat: let a second pass, as it would between runs.
    later = time.time() + 5
    monkeypatch.setattr("wizard.core.values.secrets.time.time", lambda: later)
    second = resolve_values(stack, {}, first.values, rotate=["ANON_KEY"])
    assert second.values["ANON_KEY"] != first.values["ANON_KEY"]
    assert {k for k in first.values if first.values[k] != second.values[k]} == {"ANON_KEY"}


def test_invalid_secret_answer_is_refused_without_echoing_it(stack):
    with pytest.raises(UsageError) as caught:
        resolve_values(stack, {"VAULT_ENC_KEY": Answer("zzzz-not-hex-zzzz", "--set VAULT_ENC_KEY")}, {})
    assert "VAULT_ENC_KEY" in caught.value.one_line()
    assert "zzzz-not-hex" not in caught.value.one_line()


def test_invalid_setting_answer_names_its_source(stack):
    with pytest.raises(UsageError) as caught:
        resolve_values(stack, {"POSTGRES_PORT": Answer("99999", "LAUNCHER_POSTGRES_PORT")}, {})
    assert caught.value.one_line().startswith("LAUNCHER_POSTGRES_PORT: POSTGRES_PORT")


def test_required_setting_without_answer_names_flag_and_variable(root):
    manifest = root / "stack.toml"
    manifest.write_text(manifest.read_text() + '\n[settings.SITE_DOMAIN]\nkind = "host"\n'
                        '\n[settings.ADMIN_EMAIL]\nkind = "string"\n')
    stack = load_stack(manifest)
    with pytest.raises(AnswerMissing) as caught:
        resolve_values(stack, {}, {})
    line = caught.value.one_line()
    assert "--set SITE_DOMAIN=VALUE" in line and "LAUNCHER_SITE_DOMAIN" in line and "ADMIN_EMAIL" in line
    answers = {"SITE_DOMAIN": Answer("example.test", "x"), "ADMIN_EMAIL": Answer("a@b", "y")}
    assert resolve_values(stack, answers, {}).values["SITE_DOMAIN"] == "example.test"


# -- the stored values contract ----------------------------------------------------------------------


def test_current_values_before_init_says_run_init(stack):
    with pytest.raises(NotInitialized) as caught:
        current_values(stack)
    assert isinstance(caught.value, LauncherError)
    assert "run `launcher init`" in caught.value.hint


def test_current_values_after_initialize_has_every_declared_name(stack):
    result = initialize(stack, {"LOG_LEVEL": "debug"})
    values = current_values(stack)
    assert set(values) == stack.value_names
    assert values["LOG_LEVEL"] == "debug"
    assert result.origins["LOG_LEVEL"] == "answer"
    assert "values" not in result.to_dict() and values["JWT_SECRET"] not in str(result.to_dict())


def test_current_values_fills_new_settings_defaults_but_not_new_secrets(root):
    initialize(load_stack(root / "stack.toml"), {})
    manifest = root / "stack.toml"
    manifest.write_text(manifest.read_text() + '\n[settings.NEW_PORT]\nkind = "port"\ndefault = 9000\n')
    assert current_values(load_stack(manifest))["NEW_PORT"] == "9000"
    manifest.write_text(manifest.read_text() + '\n[secrets.NEW_TOKEN]\nkind = "token"\nlength = 32\n')
    with pytest.raises(NotInitialized, match="NEW_TOKEN"):
        current_values(load_stack(manifest))


def test_existing_values_prefer_the_store_over_adopted_files(stack, root):
    initialize(stack, {})
    stored = current_values(stack)
    env = root / ".env"
    env.write_text(env.read_text().replace(stored["POSTGRES_PASSWORD"], "edited-by-hand-0123456789abcdefgh"))
    assert existing_values(stack)["POSTGRES_PASSWORD"] == stored["POSTGRES_PASSWORD"]


def test_prefill_shows_existing_values_then_defaults(stack):
    assert prefill(stack)["POSTGRES_PORT"] == "54322"
    initialize(stack, {"POSTGRES_PORT": "6543"})
    assert prefill(stack)["POSTGRES_PORT"] == "6543"
    assert "JWT_SECRET" not in prefill(stack)


def test_initialize_rejects_unknown_names_from_front_ends(stack):
    with pytest.raises(UsageError):
        initialize(stack, {"NOT_DECLARED": "x"})


def test_a_former_default_moves_only_a_setting_that_has_a_default_today(root):
    initialize(load_stack(root / "stack.toml"), {})
    manifest = root / "stack.toml"
    # A required setting (no default) whose stored value is listed as a former default stays as stored.
    manifest.write_text(manifest.read_text() + '\n[settings.REGION]\nkind = "string"\n'
                        'former_defaults = ["eu"]\n')
    stack = load_stack(manifest)
    resolved = resolve_values(stack, {}, {**existing_values(stack), "REGION": "eu"})
    assert resolved.values["REGION"] == "eu" and resolved.origins["REGION"] == "stored"
