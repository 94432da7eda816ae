"""logs/shell find_container: the container of a service, or which of two mistakes it was."""

from __future__ import annotations

import pytest

from tests.unit.fake_engine import FakeEngine, container, spec
from wizard.commands.logs import find_container
from wizard.core.support.errors import UsageError


def engine(*running):
    return FakeEngine([spec("postgres", "db"), spec("web", "app")], running=running)


def test_the_service_container_is_found():
    assert find_container(engine(container("web")), "web").name == "demo-web-1"


def test_an_unknown_name_lists_the_declared_services():
    with pytest.raises(UsageError) as refused:
        find_container(engine(container("web")), "wbe")
    assert refused.value.message == "no service named 'wbe' in stack demo"
    assert refused.value.hint == "use one of: postgres, web"


def test_a_declared_service_without_a_container_says_to_start_it():
    with pytest.raises(UsageError) as refused:
        find_container(engine(), "postgres")
    assert refused.value.message == "no container for service 'postgres' in stack demo"
    assert "launcher up" in refused.value.hint
