"""Snapshots of every store of a stack, and reset to the seeded state.

manifest.py    folders, part files, manifest.json and checksum verification
crypto.py      passphrase encryption of parts (scrypt + AES-256-GCM, chunked)
postgres.py    pg_dump / pg_restore inside the database's container
mongo.py       every non-system Mongo database as canonical Extended JSON (pymongo)
volumes.py     volumes as tar archives through helper containers (never-started, or sh+rm to empty one)
asides.py      a volume's files copied aside while it is replaced, labelled so the engine says what is aside
archivecheck.py  a volume archive read through first: no member reaching out, none cut short
staging.py     replacing stores with the old ones kept aside until all are proven (restore, upgrade)
unfinished.py  a restore stopped half way: what stands aside (engine and server asked), and --abandon
engineview.py  the engine reads, without the Docker SDK when the socket allows
save.py restore.py reset.py   the orchestrations, as generators of events (events.py)
"""
