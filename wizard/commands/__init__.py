"""One module per command: ``register(subparsers, common)`` adds its parser, a handler runs it.

``COMMANDS`` is the one table of them. Only standard-library imports at module
level: cli.py imports a command's module to build its parser (every module for
``--help``). Handlers import the core (and its heavy libraries) when they run.
"""

# Each command word and the module that registers it, in the order `launcher --help` lists them.
COMMANDS = {
    "init": "init",
    "secrets": "secrets",
    "up": "up",
    "down": "up",
    "restart": "up",
    "images": "images",
    "status": "status",
    "ls": "instances",
    "gc": "instances",
    "dashboard": "dashboard",
    "check": "check",
    "logs": "logs",
    "shell": "logs",
    "seed": "seed",
    "snapshot": "snapshot",
    "reset": "reset",
    "upgrade": "upgrade",
    "doctor": "doctor",
    "plan": "plan",
    "export": "export",
    "completion": "completion",
}
