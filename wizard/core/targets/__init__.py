"""Where `up`, `status` and `down` act, chosen in one place.

choose.py  ``engine_for``: the local compose project or the engine's Docker Swarm
swarm.py   ``SwarmEngine``: a Swarm stack deployed from ``export``'s stack files

The local engine itself, ``docker.composeengine.ComposeEngine``, stays in ``docker/``:
``export`` reads the compose model through it, and Swarm deploys what ``export`` writes,
so the local engine sits below ``export`` and the Swarm one above it.
"""
