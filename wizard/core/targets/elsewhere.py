"""What `down` leaves on other nodes of the swarm, removed through each node's own engine.

Swarm leaves the containers of finished jobs (and exited tasks) on the nodes that ran them,
and a volume lives on the node that made it: a service pinned to a worker keeps its data
there. Only that node's engine can remove them; the launcher reaches it through the Docker
context the node's ``launcher.context`` label names (as `shell` does), and leaves them when
there is none or the node does not answer.
"""

from __future__ import annotations

import time
from typing import Mapping, Sequence

from wizard.core.targets.swarmtasks import Node

CONTEXT_LABEL = "launcher.context"  # a node label: the Docker context that reaches the node's engine
GONE_TIMEOUT = 60.0  # how long `down` waits for a removed stack's containers to go (on each node)
STACK_NAMESPACE = "com.docker.stack.namespace"


def prune_on(docker_cli: str, environ: Mapping[str, str], node: Node, label: str,
             namespaces: Sequence[str] = ()) -> None:
    """Remove the project's stopped containers on another node, and with ``namespaces`` the stacks'
    volumes there (a service pinned to that node keeps its data there), through the Docker context
    its ``launcher.context`` label names; without one (or when it cannot be reached) they stay
    there, as docs/targets.md says, for `docker container prune` / `volume rm` on that node."""
    import subprocess

    context = node.labels.get(CONTEXT_LABEL)
    if not context:
        return

    def there(*args: str) -> subprocess.CompletedProcess:
        try:
            return subprocess.run([docker_cli, "--context", context, *args], capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=60, env=dict(environ))
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(args, 1, "", "no answer")

    deadline = time.monotonic() + GONE_TIMEOUT
    # Swarm stops the node's tasks after `stack rm` returned: a volume in use cannot go yet.
    while time.monotonic() < deadline:
        running = there("ps", "-q", "--filter", f"label={label}")
        if running.returncode != 0:
            return  # the node cannot be reached: what is there stays (see the docstring)
        if not running.stdout.strip():
            break
        time.sleep(0.5)
    there("container", "prune", "--force", "--filter", f"label={label}")
    for namespace in namespaces:
        found = there("volume", "ls", "-q", "--filter", f"label={STACK_NAMESPACE}={namespace}").stdout.split()
        if found:
            there("volume", "rm", "--force", *found)
