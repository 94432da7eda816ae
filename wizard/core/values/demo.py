"""Published sample secrets found where `init` would adopt them.

A `.env` copied from upstream's `.env.example` (or any file holding its demo values)
would otherwise be adopted silently: `init` names each such secret, and
`init --replace-demo` rotates them all in one run, re-signing what depends on them.
"""

from __future__ import annotations

from wizard.core.manifest.stack import Stack


def demo_secrets(stack: Stack) -> list[str]:
    """Declared secrets whose existing value (stored, or adopted from an env file) is public."""
    from wizard.core.values.secrets import is_demo
    from wizard.core.values.resolution import existing_values

    existing = existing_values(stack)
    return [spec.name for spec in stack.secrets if existing.get(spec.name) and is_demo(existing[spec.name])]
