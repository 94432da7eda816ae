"""The core: everything the launcher does, with no word of UI (front ends render its events).

Packages, lowest first; each imports only the ones below it (the import-linter
``layers`` contract in ``pyproject.toml`` checks it):

- ``support/``    errors, typed events, atomic private files, the stack lock, the disk
                  record cache, the one masker, dotenv value quoting
- ``manifest/``   ``stack.toml``: the model, loading and its file:line problems, the plan
                  and its graph, ``${NAME}`` interpolation, setting kinds, and ``kinds/``
                  (every secret and step kind, with the key code they need)
- ``values/``     where every value comes from: answers, resolution, secrets, the env
                  files and templates, the secret-check record, published demo values
- ``docker/``     the Docker boundary: compose CLI, model and engine, containers, API
                  starts, the light client, the local image store; the ``Engine`` Protocol
- ``seeds/``      init steps by kind; ``postgres/`` (seed files, splitter, binder,
                  records, capture) and ``mongo/`` (replica set, data)
- ``images/``     what images a stack needs, pulls, builds and image bundles
- ``export/``     Swarm stack files and Kubernetes manifests
- ``targets/``    where `up`, `status` and `down` act: local compose or Swarm, chosen once
- ``lifecycle/``  up/restart/down as event generators, readiness, status, preflight and
                  doctor checks, rotation, the smoke check, the interactive init session
- ``snapshots/``  save, restore and reset of every store of a stack
- ``upgrade/``    `launcher upgrade`: plan, Postgres major moves into new volumes, switch, roll back

Nothing is imported here, so that importing one small module stays cheap.
"""
