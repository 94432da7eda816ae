"""The Docker boundary, one module per job.

- ``composecli``: finding Compose v2 (the docker plugin or a docker-compose binary).
- ``model``: the compose model (services, groups, healthcheck timing, ports, images).
- ``containers``: container state parsed from the Docker list call, grouped by service (every replica).
- ``composerun``: a compose command running in the background, and the pull policies.
- ``composeengine``: ``ComposeEngine``, the real engine and Compose for one stack.
- ``lightclient``: a tiny read-only Engine API client for the hot paths (ping, list).
- ``failures``: engine, compose and container failures as one line each.
- ``imagestore``: the engine's local images, and the raw pull, save and load streams.
- ``protocol``: the ``Engine`` Protocols every target and test fake implements.
- ``starts``: starting created containers through the API and watching their events.
- ``uprecord``: the resolved config the last successful ``up`` brought up (``launcher upgrade`` reads it).
- ``execstream``: a program in a container with its output or input streamed through ``docker exec``.
- ``pgdata``: a Postgres data volume's major and its image's server major, read by one throwaway container.

Nothing is imported here, so that importing one small module stays cheap.
"""
