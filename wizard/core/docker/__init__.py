"""The Docker boundary, one module per job.

- ``composecli``: finding Compose v2 (the docker plugin or a docker-compose binary).
- ``model``: the compose model (services, groups, healthcheck timing, ports, images).
- ``containers``: container state parsed from the Docker list call, grouped by service (every replica).
- ``composerun``: a compose command running in the background, and the pull policies.
- ``composeengine``: ``ComposeEngine``, the real engine and Compose for one stack.
- ``endpoint``: which engine, found as the Docker CLI finds it (DOCKER_HOST, contexts, the default socket).
- ``connection``: ``ComposeEngine``'s clients for that engine (the light one, the SDK).
- ``engineinfo``: Docker or Podman, rootless or not; health from inspect where the list leaves it out.
- ``lightclient``: a tiny Engine API client for the hot paths (ping, list, starts, events).
- ``failures``: engine, compose and container failures as one line each.
- ``imagestore``: the engine's local images, and the raw pull, save and load streams.
- ``protocol``: the ``Engine`` Protocols every target and test fake implements.
- ``starts``: starting created containers through the API and watching their events.
- ``uprecord``: the resolved config the last successful ``up`` brought up (``launcher upgrade`` reads it).
- ``execstream``: a program in a container with its output or input streamed through ``docker exec``.
- ``pgdata``: a Postgres data volume's major and its image's server major, read by one throwaway container.

Nothing is imported here, so that importing one small module stays cheap.
"""
