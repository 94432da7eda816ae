"""A compose depends_on must point to a group that starts first (wizard.core.lifecycle.ordering)."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from tests.unit.manifest_factory import groups_manifest, write_stack
from wizard.core.docker.model import ComposeModel, ServiceSpec
from wizard.core.lifecycle.ordering import check_dependency_order
from wizard.core.manifest.stack import load_stack
from wizard.core.support.errors import ManifestInvalid
from wizard.exitcodes import ExitCode


def model(*specs: ServiceSpec) -> ComposeModel:
    return ComposeModel(specs, MappingProxyType({spec.name: spec.group for spec in specs}))


@pytest.fixture
def stack(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    edges = {"db": [], "jobs": [], "cache": ["db"], "app": ["cache"]}
    manifest = write_stack(tmp_path, groups_manifest(edges), compose=tuple(f"compose/{g}.yml" for g in edges))
    return load_stack(manifest)


def test_a_dependency_in_a_group_started_before_passes_even_through_another_group(stack):
    check_dependency_order(stack, model(ServiceSpec("pg", "db"), ServiceSpec("api", "app", depends_on=("pg",))))


def test_a_dependency_in_an_unrelated_group_names_both_and_the_after_to_add(stack):
    with pytest.raises(ManifestInvalid) as raised:
        check_dependency_order(stack, model(ServiceSpec("migrate", "jobs"),
                                            ServiceSpec("api", "app", depends_on=("migrate",))))
    error = raised.value
    assert error.exit_code == ExitCode.CONFIG
    assert error.lines() == ['stack.toml:18: service api (group app) depends on migrate (group jobs), which does '
                             'not start before it — add "jobs" to `after` in [groups.app]']


def test_an_optional_dependency_or_one_of_a_disabled_profile_is_left_to_compose(stack):
    check_dependency_order(stack, model(ServiceSpec("migrate", "jobs"),
                                        ServiceSpec("api", "app", depends_on=("migrate", "gone"),
                                                    optional_deps=("migrate",))))
