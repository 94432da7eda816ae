"""stack.toml validation: every problem reported once, with file:line, as a ConfigError."""

from __future__ import annotations

import pytest

from tests.unit.manifest_factory import groups_manifest, write_stack
from wizard.core.support.errors import ConfigError, ManifestInvalid
from wizard.core.manifest.stack import load_stack


def problems_of(manifest) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_stack(manifest)
    return caught.value.lines()


def test_valid_manifest_loads_into_frozen_dataclasses(tmp_path):
    manifest = write_stack(tmp_path, """
        [stack]
        name = "demo"

        [groups.db]
        compose = ["compose/db.yml"]

        [groups.app]
        compose = ["compose/app.yml"]
        after = ["db"]
        profiles = ["tools"]
        requires_paths = ["src"]

        [steps.schema]
        kind = "postgres-seeds"
        after = "db"
        dsn = "postgresql://x"
        dir = "seeds/postgres"

        [secrets.JWT_SECRET]
        kind = "token"
        length = 40

        [secrets.ANON_KEY]
        kind = "jwt"
        signed_with = "JWT_SECRET"
        role = "anon"

        [settings.PORT]
        kind = "port"
        default = 8800
    """, compose=("compose/db.yml", "compose/app.yml"))
    stack = load_stack(manifest)
    assert stack.name == "demo"
    assert [g.name for g in stack.groups] == ["db", "app"]
    app = stack.group("app")
    assert app.after == ("db",) and app.profiles == ("tools",)
    assert app.compose_files == (tmp_path / "compose/app.yml",)
    assert app.missing_paths() == (tmp_path / "src",)
    assert stack.steps[0].params["dir"] == "seeds/postgres"
    assert stack.secret("ANON_KEY").signed_with == "JWT_SECRET"
    assert stack.settings[0].default == "8800"
    assert stack.value_names == {"JWT_SECRET", "ANON_KEY", "PORT"}
    with pytest.raises(AttributeError):
        stack.name = "other"  # frozen


def test_unknown_group_in_after_names_file_and_line(tmp_path):
    manifest = write_stack(tmp_path, groups_manifest({"app": ["dbx"]}), compose=("compose/app.yml",))
    [line] = problems_of(manifest)
    assert "stack.toml:6:" in line  # the `after =` line of [groups.app]
    assert "unknown group 'dbx'" in line


def test_cycle_is_named_as_a_path(tmp_path):
    manifest = write_stack(
        tmp_path, groups_manifest({"a": ["b"], "b": ["c"], "c": ["a"]}),
        compose=("compose/a.yml", "compose/b.yml", "compose/c.yml"),
    )
    [line] = problems_of(manifest)
    assert "dependency cycle: a -> b -> c -> a" in line


def test_missing_compose_file(tmp_path):
    manifest = write_stack(tmp_path, groups_manifest({"db": []}))
    [line] = problems_of(manifest)
    assert "compose file compose/db.yml does not exist" in line
    assert "stack.toml:5:" in line  # the `compose =` line of [groups.db]


def test_bad_toml_reports_line(tmp_path):
    manifest = write_stack(tmp_path, '[stack]\nname = "demo"\n[groups.db\n')
    with pytest.raises(ConfigError) as caught:
        load_stack(manifest)
    assert not isinstance(caught.value, ManifestInvalid)
    assert ":3:" in caught.value.one_line() and "invalid TOML" in caught.value.one_line()


def test_duplicate_table_is_a_toml_error_with_line(tmp_path):
    manifest = write_stack(tmp_path, groups_manifest({"db": []}) + '\n[groups.db]\ncompose = ["x.yml"]\n',
                           compose=("compose/db.yml",))
    with pytest.raises(ConfigError) as caught:
        load_stack(manifest)
    assert "invalid TOML" in caught.value.one_line()


def test_same_name_as_secret_and_setting(tmp_path):
    manifest = write_stack(tmp_path, """
        [stack]
        name = "demo"
        [secrets.TOKEN]
        kind = "token"
        length = 32
        [settings.TOKEN]
        default = "x"
    """)
    [line] = problems_of(manifest)
    assert "TOKEN is declared both as a secret and as a setting" in line


def test_unknown_step_kind_and_wrong_types_are_all_reported(tmp_path):
    manifest = write_stack(tmp_path, """
        [stack]
        name = "demo"
        [groups.db]
        compose = ["compose/db.yml"]
        [steps.load]
        kind = "mysql-seeds"
        after = "db"
        [secrets.KEY]
        kind = "hex"
        length = "32"
    """, compose=("compose/db.yml",))
    lines = problems_of(manifest)
    assert any("stack.toml:6" in line and "unknown kind 'mysql-seeds'" in line for line in lines)
    assert any("stack.toml:10:" in line and "must be a whole number" in line for line in lines)


def test_jwt_must_be_signed_by_a_declared_secret(tmp_path):
    manifest = write_stack(tmp_path, """
        [stack]
        name = "demo"
        [secrets.ANON_KEY]
        kind = "jwt"
        signed_with = "NOPE"
        role = "anon"
    """)
    [line] = problems_of(manifest)
    assert "stack.toml:5:" in line and "signed with a declared secret" in line


def test_a_signer_that_is_not_a_name_is_a_problem_not_a_crash(tmp_path):
    """Found by the init fuzzer (seed 20261130, stream of part 3 when the parts had their own seeds)."""
    manifest = write_stack(tmp_path, """
        [stack]
        name = "demo"
        [secrets.JWT_SECRET]
        kind = "token"
        length = 48
        [secrets.ANON_KEY]
        kind = "jwt"
        signed_with = ["JWT_SECRET"]
        role = "anon"
    """)
    lines = problems_of(manifest)
    assert any("stack.toml:8:" in line and "signed_with" in line for line in lines), lines


def test_step_after_unknown_group(tmp_path):
    manifest = write_stack(tmp_path, """
        [stack]
        name = "demo"
        [steps.seed]
        kind = "mongo-seeds"
        after = "mongo"
        uri = "mongodb://x"
        dir = "seeds/mongo"
    """)
    [line] = problems_of(manifest)
    assert "step seed follows unknown group 'mongo'" in line


def test_a_misspelt_key_of_the_stack_or_of_a_step_is_refused_where_it_stands(tmp_path):
    manifest = write_stack(tmp_path, """
        [stack]
        name = "demo"
        compose_env_ouput = "env"
        [groups.db]
        compose = ["compose/db.yml"]
        [steps.seed]
        kind = "mongo-seeds"
        after = "db"
        uri = "mongodb://x"
        dir = "seeds/mongo"
        batch_sise = 10
    """, compose=("compose/db.yml",))
    lines = problems_of(manifest)
    assert any("stack.toml:3:" in line and "unknown key 'compose_env_ouput' in [stack]" in line for line in lines)
    assert any("stack.toml:11:" in line and "unknown key 'batch_sise' in [steps.seed]" in line
               and "batch_size" in line for line in lines), lines


def test_every_step_parameter_a_runner_reads_is_one_its_kind_declares():
    import re

    from tests.conftest import REPO
    from wizard.core.manifest.kinds import STEP_KINDS

    declared = {key for kind in STEP_KINDS.values() for key in (*kind.required, *kind.optional)}
    reads = re.compile(r'step_text\(step, values, "(\w+)"|step_seconds\(step, "(\w+)"|step\.params(?:\.get\(|\[)"(\w+)"')
    read = {name for path in (REPO / "wizard").rglob("*.py") for match in reads.findall(path.read_text())
            for name in match if name}
    assert read and read <= declared, read - declared


def test_repository_manifest_is_valid():
    from tests.conftest import REPO

    stack = load_stack(REPO / "stack.toml")
    assert stack.name == "ailab"
    assert stack.compose_env_file == REPO / ".env"
