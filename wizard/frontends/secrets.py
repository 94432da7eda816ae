"""The words of `launcher secrets show|check|rotate`: names, masked values and reasons, never a value unasked."""

from __future__ import annotations

from typing import Any, Sequence

from wizard.core.manifest.kinds import secret_kind


def render_secrets(rows: Sequence[dict[str, Any]]) -> list[str]:
    """`secrets show`: name, value (masked unless --reveal) and what it is, aligned."""
    width = max((len(row["name"]) for row in rows), default=0)
    return [f"{row['name']:<{width}}  {row['value']}  ({row['about']})" for row in rows]


def render_secrets_check(problems: Sequence, stale: Sequence, count: int) -> list[str]:
    """`secrets check`: each problem, each env file out of step with the store, or that all pass."""
    lines = [f"{problem.name}: {problem.message}" for problem in problems]
    for change in stale:
        what = "is missing" if change.action == "create" else f"differs for {', '.join(change.updated)}"
        lines.append(f"{change.path}: {what} — run `launcher init`")
    if not problems and not stale:
        lines.append(f"all {count} secrets pass; env files match")
    return lines


def render_rotation(rotated, names: Sequence[str], changed: Sequence, restart: Sequence[str]) -> list[str]:
    """`secrets rotate` (without --apply): what was replaced, what stays valid, what to restart.

    ``rotated`` is the secret's spec, ``names`` it and the secrets re-signed with it,
    ``changed`` the files written other than the store.
    """
    name = rotated.name
    lines = [f"rotated {name}" + (f"; re-signed {', '.join(names[1:])}" if len(names) > 1 else "")]
    kind = secret_kind(rotated)
    if kind.is_jwt:
        # A new token does not revoke the old one: only a new signing secret does.
        lines.append(f"note: the previous {name} stays valid until {rotated.signed_with} is rotated")
    elif kind.kept_by_servers:
        # The env files change, but a database volume keeps the password it was created with.
        if rotated.apply:
            lines.append(f"note: the database still has the old {name}; next time use "
                         f"`launcher secrets rotate {name} --apply` to change it there first")
        else:
            lines.append(f"note: a server that already stores {name} (an existing database volume) "
                         "keeps the old one until it is changed there too")
    for change in changed:
        backup = f" (backup {change.backup})" if change.backup else ""
        lines.append(f"updated {change.path}{backup}")
    if restart:
        lines.append(f"restart: {', '.join(restart)} — run `launcher up` to recreate them with the new values")
    else:
        lines.append("no compose service references the rotated values")
    return lines
