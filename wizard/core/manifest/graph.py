"""The two graph walks the manifest needs: everything reachable, and a cycle if there is one."""

from __future__ import annotations

from typing import Callable, Iterable, Mapping


def reachable(start: Iterable[str], neighbours: Callable[[str], Iterable[str]]) -> set[str]:
    """``start`` and every node reachable from it (groups a group comes after, JWTs a secret signs)."""
    found: set[str] = set()
    pending = list(start)
    while pending:
        node = pending.pop()
        if node not in found:
            found.add(node)
            pending.extend(neighbours(node))
    return found


def find_cycle(edges: Mapping[str, list[str]]) -> list[str]:
    """A dependency cycle as a path that ends where it starts (a -> b -> a), or []."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = fully explored
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for dependency in edges.get(node, []):
            if state.get(dependency) == 1:
                return path[path.index(dependency):] + [dependency]
            if dependency not in state:
                found = visit(dependency)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []
