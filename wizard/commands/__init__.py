"""One module per command: ``register(subparsers, common)`` adds its parser, a handler runs it.

Only standard-library imports at module level: cli.py imports every command
module to build ``--help``. Handlers import the core (and its heavy libraries)
when they run.
"""
