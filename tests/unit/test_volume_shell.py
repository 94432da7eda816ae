"""Emptying an anonymous volume takes sh and rm from some image of the stack: which one is proven first."""

from __future__ import annotations

import docker.errors
import pytest

from wizard.core.snapshots.volumes import shell_image
from wizard.core.support.errors import PreflightFailed


class Probe:
    def __init__(self, client, image):
        self.client, self.image = client, image

    def start(self):
        if self.client.behaviour[self.image] == "no shell":
            raise docker.errors.APIError("exec: \"/bin/sh\": stat /bin/sh: no such file or directory")

    def wait(self):
        return {"StatusCode": 0 if self.client.behaviour[self.image] == "shell" else 127}

    def remove(self, force=False):
        self.client.removed.append(self.image)


class Client:
    """The images and containers calls shell_image makes, answered per image."""

    def __init__(self, behaviour):
        self.behaviour, self.removed, self.created = behaviour, [], []
        self.images = self
        self.containers = self

    def get(self, image):
        if image not in self.behaviour:
            raise docker.errors.ImageNotFound(image)

    def create(self, image, **options):
        assert options["network_disabled"] and options["entrypoint"] == ["/bin/sh", "-c"]
        self.created.append(image)
        return Probe(self, image)


def test_the_services_image_is_used_when_it_has_sh_and_rm_else_another_of_the_stack():
    client = Client({"distroless": "no shell", "nofind": "no rm", "busybox": "shell"})
    assert shell_image(client, ["distroless", "missing", "nofind", "busybox", "distroless"]) == "busybox"
    assert client.created == ["distroless", "nofind", "busybox"] and client.removed == client.created
    assert shell_image(Client({"busybox": "shell"}), ["busybox"]) == "busybox"


def test_no_image_with_a_shell_is_refused_before_anything_changes():
    with pytest.raises(PreflightFailed, match="no image of this stack runs /bin/sh with rm") as refused:
        shell_image(Client({"distroless": "no shell"}), ["distroless"])
    assert "nothing was changed" in refused.value.one_line()
