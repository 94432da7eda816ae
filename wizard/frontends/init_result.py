"""The words of `launcher init`'s result: one line per file, the generated names, the demo values."""

from __future__ import annotations

from wizard.frontends.words import file_action


def render_init(result, demo: list[str], rotated: list[str]) -> str:
    """`launcher init` without a wizard: the demo-value notice (if any), then the result."""
    notice = render_demo(demo, rotated, result.dry_run)
    return "\n".join(([notice] if notice else []) + [render_result(result)])


def render_demo(demo: list[str], rotated: list[str], dry_run: bool) -> str:
    """One line per published demo secret: replaced, or kept with the command that replaces it."""
    lines = []
    for name in demo:
        if rotated:
            lines.append(f"{'would replace' if dry_run else 'replaced'} demo value of {name}")
        else:
            lines.append(f"demo value kept: {name} is a published sample value — "
                         "run `launcher init --replace-demo` to replace it")
    resigned = [name for name in rotated if name not in demo]
    if resigned:
        lines.append(f"{'would re-sign' if dry_run else 're-signed'}: {', '.join(resigned)}")
    return "\n".join(lines)


def render_result(result) -> str:
    """Plain lines: one per file, then which values were generated. Never a value."""
    lines = []
    for change in result.changes:
        details = change.details()
        suffix = f" ({'; '.join(details)})" if details else ""
        lines.append(f"{file_action(change.action, dry_run=result.dry_run)} {change.path}{suffix}")
    if result.added:
        lines.append(added_line(result))
    if result.updated:
        lines.append(f"{'would move' if result.dry_run else 'moved'} to today's default (the stored value was an "
                     f"earlier default of the stack; `--set NAME=VALUE` keeps another): {', '.join(result.updated)}")
    generated = result.generated
    if generated:
        lines.append(f"{'would generate' if result.dry_run else 'generated'}: {', '.join(generated)}")
    moved = [name for name, origin in result.origins.items() if origin == "port block"]
    if moved:
        lines.append(f"instance {result.instance}: ports moved by +{result.port_offset} ({', '.join(moved)}), "
                     "their defaults are taken by another instance or process")
    if not result.dry_run:
        lines.append("next: launcher up")
    return "\n".join(lines)


def added_line(result) -> str:
    """The values declared since the last init that this run adds, by name ("" when none)."""
    if not result.added:
        return ""
    return (f"{'would add' if result.dry_run else 'added'} (declared since the last init; existing values kept): "
            f"{', '.join(result.added)}")
