"""Where `up`, `status` and `down` act, chosen in one place.

choose.py      ``engine_for``: the local compose project or the engine's Docker Swarm
swarm.py       ``SwarmEngine``: a Swarm stack deployed from ``export``'s stack files
swarmrun.py    ``SwarmRun``: one wave's stack deploys, done once Swarm placed or replaced every task
swarmtasks.py  the manager's tasks read as container states, nodes and what each node holds
placement.py   the node labels that pin a service's data to one node
elsewhere.py   what `down` removes on other nodes, through each node's Docker context

The local engine itself, ``docker.composeengine.ComposeEngine``, stays in ``docker/``:
``export`` reads the compose model through it, and Swarm deploys what ``export`` writes,
so the local engine sits below ``export`` and the Swarm one above it.
"""
