"""Stack Launcher: one command from a fresh clone to a healthy local stack."""

__version__ = "0.1.0"
