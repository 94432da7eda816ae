"""What every other package leans on; it imports nothing of the launcher but ``exitcodes``.

errors.py    every error the core raises on purpose, each with its exit code
events.py    the typed events the core yields while it works
files.py     atomic, private writes; the stack's state folder
lock.py      one writer at a time per stack folder (and per registry): fcntl locks
registry.py  the machine-wide registry of instances and the ports each claims
ports.py     whether a TCP port is free
cache.py     a small disk cache for slow answers that rarely change
redact.py    the one masker: secret values never reach a line the user reads
envvalue.py  how a value is quoted after ``KEY=`` in a dotenv file
"""
