"""Every value a stack uses: where it comes from, how it is checked, and where it is written.

resolution.py    answers, stored values and defaults resolved into one set; ``initialize``
secrets.py       generating and checking the declared secrets
secretrecord.py  a record that lets `up`'s preflight skip an unchanged secrets check
envfiles.py      the value store, env files, keyfiles and .gitignore ``init`` writes
envtemplate.py   the templates in ``envtemplates/`` and their keys
demo.py          published sample secrets found where ``init`` would adopt them
portblock.py     each instance's block of ports, claimed in the machine-wide registry
"""
