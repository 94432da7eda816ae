"""Data stays with its volume: a service with a named volume runs on one node, and stays there.

A Swarm volume lives on the node that created it; a stateful task started on another
node would get a new, empty one. So each such service carries the placement constraint
``node.labels.launcher.data.PROJECT.SERVICE == true`` (``export.swarmfile``), and
``up --target swarm`` puts that label on one node the first time: the node the
launcher's own engine is (the manager it talks to), where seeds, snapshots and `shell`
reach the data without a second endpoint. The label is the record, kept by the swarm
itself: `status` reads it back, moving the data is moving the label (and the volume),
and `down --volumes` takes it away with the volumes. A node that holds a label and is
down keeps its services waiting for it: Swarm never starts them empty elsewhere.
"""

from __future__ import annotations

from typing import Iterable

from wizard.core.export.swarmfile import PIN_PREFIX, pin_label
from wizard.core.targets.swarmtasks import Node

def pins_of(project: str, nodes: Iterable[Node], *, keys: bool = False) -> dict[str, str]:
    """Service name (or with ``keys``, the label key) -> the id of the node its data is pinned to."""
    head = f"{PIN_PREFIX}.{project}."
    pins = {}
    for node in nodes:
        for key, value in node.labels.items():
            if key.startswith(head) and value == "true":
                pins[key if keys else key[len(head):]] = node.id
    return pins


def labels_to_add(project: str, services: Iterable[str], nodes: Iterable[Node], own_node: str) -> dict[str, str]:
    """Label key -> node id for every stateful service not pinned yet: the launcher's own node."""
    pinned = pins_of(project, nodes)
    return {pin_label(project, service): own_node for service in services if service not in pinned}
