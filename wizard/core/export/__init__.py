"""Carrying the stack beyond one machine: Swarm stack files and Kubernetes manifests.

``source`` reads what the stack resolves to (compose config of the active profiles,
the plan, the values); ``swarmfile`` translates it to one Swarm stack file per group,
``kubernetes`` (services), ``kubefiles`` (Secrets, ConfigMaps) and ``kubesteps``
(init-step Jobs, run in the cluster by ``jobstep``) to Kubernetes manifests; every
decision is recorded in a ``report.TranslationReport``; ``bundle`` renders and writes
the files. The Swarm deploy target that uses them is ``targets.swarm``.
"""
