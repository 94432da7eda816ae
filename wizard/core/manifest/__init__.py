"""``stack.toml``, the stack manifest: what a stack is made of, and the order it starts in.

model.py         the manifest as frozen dataclasses
stack.py         loading and validating it (every problem at its file:line)
instance.py      which instance of its stack a checkout is: the compose project name
reader.py        typed reading of its TOML tables
tomllines.py     where a table or key stands in the TOML text
settingkinds.py  the setting kinds (string, port, url, bool, int, host)
interpolate.py   ``${NAME}`` references in templates, seeds and step parameters
graph.py         reachability and cycles
plan.py          waves of groups that start together, each followed by its init steps
kinds/           every secret and step kind, declared once, with the key code it needs
"""
