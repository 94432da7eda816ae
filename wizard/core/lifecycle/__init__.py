"""A running stack's life: starting, waiting, checking, changing secrets in place.

launch.py       `up`, `restart` and `down` as generators of typed events
waiting.py      waiting for started services as compose's --wait does, and failing with the cause
createahead.py  creating a later wave's containers while the wave before waits
readiness.py    when a service counts as ready (compose's --wait rule): the one rule `up` and `status` share
ordering.py     a compose `depends_on` must point to a group that starts first: checked before `up` and in `plan`
healthoptions.py  a healthcheck option compose would refuse (start_interval before Engine 25): exit 3 first
status.py       every service's state, health, URLs and uptime
checks.py       the preflight checks `up` and `doctor` share
restoremarker.py  the marker of a restore under way (or stopped half way): `up` refuses while it stands
pgdatacheck.py  `up` refuses a Postgres data volume of another major than its image, before anything starts
doctor.py       `launcher doctor`
rotation.py     a rotated password reaching the database, env files and services
smoke.py        `launcher check`: do the generated keys and auth work on a live stack
instances.py    every instance on this machine: `ls`, `down --all`, `gc`
initsession.py  the answers of an interactive `init`, shared by the wizard and prompts
stackgraph.py   the stack as a graph to draw (`plan --format mermaid`): groups, services, depends_on, steps
"""
