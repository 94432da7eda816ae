"""The test bed's swarm: one node, or two when a test asks for the second (tests/testbed/node2).

One object knows what this run started, so it never leaves a swarm it did not start:
- ``one_node()``: the engine is a swarm manager (initialised here when it is not one);
- ``two_nodes()``: the second node joined as a worker. Its traffic needs the manager to
  advertise 10.231.0.1 (the veth pair's end on this side), not 127.0.0.1: a swarm this run
  started on 127.0.0.1 is left and initialised again on 10.231.0.1; a swarm someone else
  started on 127.0.0.1 cannot take the node (the test then reports a missing part);
- ``drop_node()``: the worker leaves, the manager forgets it, its engine stops, and a swarm
  this run started for it is left, so later tests find one engine as it was.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

NODE_SCRIPT = Path(__file__).resolve().parents[1] / "testbed" / "node2"
NODE_SOCKET = "unix:///run/docker-node2.sock"
NODE_PIDFILE = "/run/docker-node2.pid"
MANAGER_ADDR = "10.231.0.1"
NODE_HOSTNAME = "launcher-node2"


class NotAvailable(Exception):
    """The two-node swarm cannot be had on this machine now (the reason in one line)."""


@dataclass
class SwarmBed:
    client: object  # the docker SDK client of the test bed's engine (the manager)
    cli: str
    started: bool = False  # this run initialised the swarm
    worker: str = ""  # the worker's node id while it is joined
    context: str = field(default_factory=lambda: f"launcher-node2-{os.getpid()}")  # reaches the worker

    def swarm(self) -> dict:
        return self.client.info().get("Swarm") or {}

    def one_node(self) -> "SwarmBed":
        if self.swarm().get("LocalNodeState") != "active":
            self.client.swarm.init(advertise_addr="127.0.0.1")
            self.started = True
        return self

    def two_nodes(self, images: list[str]) -> "SwarmBed":
        result = subprocess.run([str(NODE_SCRIPT), "up", *images], capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise NotAvailable(f"tests/testbed/node2 up failed: {result.stderr.strip()[-500:]}")
        swarm = self.swarm()
        if swarm.get("LocalNodeState") == "active" and swarm.get("NodeAddr") != MANAGER_ADDR:
            if not self.started:
                raise NotAvailable(f"the engine is in a swarm another run started on {swarm.get('NodeAddr')}; "
                                   f"a second node needs one advertised on {MANAGER_ADDR}")
            self.client.swarm.leave(force=True)
        if self.swarm().get("LocalNodeState") != "active":
            self.client.swarm.init(advertise_addr=MANAGER_ADDR)
            self.started = True
        node = self.node_docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()
        if node != "inactive":
            # In this manager's swarm: another run uses it now. In any other (its data root kept the
            # membership of a run that ended without leaving): stale, so the node leaves it first.
            node_id = self.node_docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
            if node_id and node_id in {known.id for known in self.client.nodes.list()}:
                raise NotAvailable("the second node is in this swarm already (another run's)")
            self.node_docker("swarm", "leave", "--force")
        token = self.client.swarm.attrs["JoinTokens"]["Worker"]
        joined = self.node_docker("swarm", "join", "--token", token, f"{MANAGER_ADDR}:2377")
        if joined.returncode != 0:
            raise NotAvailable(f"the second node could not join: {joined.stderr.strip()}")
        self.worker = self.node_docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
        self._wait_node("ready", 30)
        # The Docker context that reaches the worker's engine, named on the node as a user names it.
        subprocess.run([self.cli, "context", "rm", "--force", self.context], capture_output=True)
        subprocess.run([self.cli, "context", "create", self.context, "--docker", f"host={NODE_SOCKET}"],
                       capture_output=True, check=True)
        node = self.client.nodes.get(self.worker)
        node.update({**node.attrs["Spec"], "Labels": {"launcher.context": self.context}})
        return self

    def stop_node(self) -> float:
        """Stop the worker's engine (by its pid) and wait until the manager calls the node down;
        the seconds that took."""
        import os
        import signal

        began = time.monotonic()
        pid = int(Path(NODE_PIDFILE).read_text())
        os.kill(pid, signal.SIGTERM)
        self._wait_node("down", 90)
        seconds = time.monotonic() - began
        # The manager may call the node down before its dockerd has finished exiting: a start
        # before then would find its pid file and refuse.
        deadline = time.monotonic() + 60
        while Path(f"/proc/{pid}").exists():
            assert time.monotonic() < deadline, "the worker's dockerd did not exit within 60 s"
            time.sleep(0.2)
        return seconds

    def start_node(self) -> None:
        """Start the worker's engine again: it rejoins the swarm by itself (its state is in its data root)."""
        result = subprocess.run([str(NODE_SCRIPT), "up"], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        self._wait_node("ready", 60)

    def _wait_node(self, state: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.client.nodes.get(self.worker).attrs["Status"]["State"] != state:
            assert time.monotonic() < deadline, f"the worker is not {state} after {seconds:.0f} s"
            time.sleep(0.5)

    def node_docker(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([self.cli, "-H", NODE_SOCKET, *args], capture_output=True, text=True, timeout=timeout)

    def drop_node(self) -> None:
        if self.worker:
            self.node_docker("swarm", "leave", "--force")
            try:
                self.client.api.remove_node(self.worker, force=True)
            except Exception:  # noqa: BLE001 - gone already with the swarm below
                pass
            self.worker = ""
            subprocess.run([self.cli, "context", "rm", "--force", self.context], capture_output=True)
        if self.started and self.swarm().get("NodeAddr") == MANAGER_ADDR:
            # The address goes with the veth pair: a one-node test after this needs a swarm of its own.
            self.client.swarm.leave(force=True)
            self.started = False
        subprocess.run([str(NODE_SCRIPT), "down"], capture_output=True, text=True, timeout=120)

    def close(self) -> None:
        self.drop_node()
        if self.started:
            self.client.swarm.leave(force=True)
            self.started = False
