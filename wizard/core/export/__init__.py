"""Carrying the stack beyond one machine: Swarm stack files and Kubernetes manifests.

``source`` reads what the stack resolves to (compose config of the active profiles,
the plan, the values); ``swarmfile`` and ``kubernetes`` translate it, each change
recorded in a ``report.TranslationReport``; ``swarm`` deploys the stack files on a
Swarm in plan order behind the same ``launch.up`` orchestration.
"""
