"""What an SDK call's failure means: the engine not answering is one line (DockerUnavailable);
the SDK's complaint about the call itself is not that. The last CI run failed on the second
being read as the first: a Swarm task with no container yet (empty id) made `up` say
"Docker engine not reachable ... (no answer)" while the engine answered every call."""

from __future__ import annotations

import docker.errors
import pytest
import requests.exceptions

from wizard.core.docker.composeengine import ComposeEngine
from wizard.core.docker.endpoint import Endpoint
from wizard.core.support.errors import DockerUnavailable


class Unreachable:
    """An SDK client whose every inspect fails as the given exception."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0
        self.api = self

    def inspect_container(self, container_id):
        self.calls += 1
        raise self.error


def engine_with(client) -> ComposeEngine:
    engine = object.__new__(ComposeEngine)  # the connection half only: no stack is read
    engine._client = client
    engine.__dict__["endpoint"] = Endpoint("unix:///run/engine.sock", "DOCKER_HOST")
    return engine


@pytest.mark.parametrize("error", [
    requests.exceptions.ConnectionError("Connection aborted."),
    requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)"),
    docker.errors.DockerException("Error while fetching server API version: ('Connection aborted.')"),
])
def test_an_engine_that_does_not_answer_is_one_line(error):
    engine = engine_with(Unreachable(error))
    with pytest.raises(DockerUnavailable, match=r"not reachable at unix:///run/engine.sock"):
        engine._call(engine.client.api.inspect_container, "abc")


@pytest.mark.parametrize("error", [docker.errors.NullResource("Resource ID was not provided"),
                                   docker.errors.NotFound("No such container: abc")])
def test_a_complaint_about_the_call_is_not_an_unreachable_engine(error):
    engine = engine_with(Unreachable(error))
    with pytest.raises(type(error)):
        engine._call(engine.client.api.inspect_container, "abc")


def test_a_task_without_a_container_has_no_details_and_asks_the_engine_nothing():
    client = Unreachable(AssertionError("not to be called"))
    assert engine_with(client).failure_details("") == ((), ())
    assert client.calls == 0
