"""The kind registries: every kind the manifest accepts has one entry, and each entry is whole."""

from __future__ import annotations

import inspect

import pytest

from tests.unit.manifest_factory import write_stack
from wizard.core.support.errors import ManifestInvalid
from wizard.core.manifest.kinds import SECRET_KINDS, STEP_KINDS, SecretKind
from wizard.core.values.secrets import format_problem, generate_secret
from wizard.core.manifest.kinds.settings import SETTING_KINDS
from wizard.core.manifest.stack import load_stack
from wizard.core.manifest.model import SecretSpec
from wizard.core.seeds.steps import runner_for

# One valid declaration per secret kind, signers first: what a manifest would write.
DECLARED = {
    "SIGNER": 'kind = "token"\nlength = 40',
    "HEX": 'kind = "hex"\nlength = 32',
    "B64": 'kind = "base64"\nlength = 48',
    "PASSWORD": 'kind = "password"\nlength = 24',
    "ANON": 'kind = "jwt"\nsigned_with = "SIGNER"\nrole = "anon"',
    "KEYFILE": 'kind = "mongo-keyfile"\nlength = 756\npath = "secrets/keyfile"',
    "PUBLISHABLE": 'kind = "api-key"\nprefix = "sb_publishable_"',
    "JWKS": 'kind = "jwks"\nsigned_with = "SIGNER"',
    "JWKS_PUBLIC": 'kind = "jwks-public"\nsigned_with = "JWKS"',
    "ANON_ES256": 'kind = "jwt-es256"\nsigned_with = "JWKS"\nrole = "anon"',
}


def manifest(tmp_path, secrets: dict[str, str]) -> str:
    body = '[stack]\nname = "kinds"\n[groups.app]\ncompose = ["app.yml"]\n'
    body += "".join(f"[secrets.{name}]\n{lines}\n" for name, lines in secrets.items())
    return write_stack(tmp_path, body, compose=("app.yml",))


def test_the_manifest_accepts_exactly_the_registered_secret_kinds(tmp_path):
    stack = load_stack(manifest(tmp_path, DECLARED))
    assert {spec.kind for spec in stack.secrets} == set(SECRET_KINDS)
    with pytest.raises(ManifestInvalid) as refused:
        load_stack(manifest(tmp_path, {"ODD": 'kind = "rot13"\nlength = 32'}))
    assert f"use one of: {', '.join(SECRET_KINDS)}" in "\n".join(refused.value.lines())


def test_every_secret_kind_generates_a_value_its_own_check_accepts(tmp_path):
    stack = load_stack(manifest(tmp_path, DECLARED))
    values: dict[str, str] = {}
    for spec in stack.secrets:
        values[spec.name] = generate_secret(spec, values, now=1_700_000_000)
        assert values[spec.name]
        assert format_problem(spec, values[spec.name], values) == "", spec.kind


def test_a_kinds_length_limits_are_the_ones_the_manifest_and_the_value_check_use(tmp_path):
    low, high = SECRET_KINDS["mongo-keyfile"].length
    with pytest.raises(ManifestInvalid) as refused:
        load_stack(manifest(tmp_path, {"KEYFILE": f'kind = "mongo-keyfile"\nlength = {high + 1}\npath = "k"'}))
    assert f"between {low} and {high}, not {high + 1}" in "\n".join(refused.value.lines())
    spec = SecretSpec("KEYFILE", "mongo-keyfile", high)
    assert f"needs {low} to {high}" in format_problem(spec, "A" * (high + 1), {})


@pytest.mark.parametrize("kind", list(SECRET_KINDS.values()), ids=list(SECRET_KINDS))
def test_each_secret_kind_entry_is_whole(kind: SecretKind):
    for part in (kind.generate, kind.problem, kind.manifest_problems):
        assert callable(part) and len(inspect.signature(part).parameters) in (2, 3)


@pytest.mark.parametrize("name", list(STEP_KINDS))
def test_each_step_kind_names_a_runner_that_exists(name):
    runner = runner_for(name)
    assert inspect.isgeneratorfunction(runner)
    assert list(inspect.signature(runner).parameters)[:3] == ["stack", "step", "values"]


def test_setting_kinds_have_one_list_the_manifest_checks_against(tmp_path):
    body = '[stack]\nname = "kinds"\n[groups.app]\ncompose = ["app.yml"]\n[settings.ODD]\nkind = "colour"\n'
    with pytest.raises(ManifestInvalid) as refused:
        load_stack(write_stack(tmp_path, body, compose=("app.yml",)))
    assert f"use one of: {', '.join(SETTING_KINDS)}" in "\n".join(refused.value.lines())
