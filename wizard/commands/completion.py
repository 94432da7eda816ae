"""`launcher completion bash|zsh|fish`, and the hidden `launcher __complete` every script calls.

The scripts hold no list of their own: each request asks ``launcher __complete INDEX WORD...``
(the words after ``launcher``, INDEX the one being completed), which reads the command
table and the argparse parser of the command at hand, and the stack found from the working
folder for service, group and snapshot names, and the instance registry for instance names.
It builds only that command's parser and imports neither docker nor the TUI: a request
costs about what `launcher --version` does plus one stack read (tests/bench/bench_completion.py).
"""

from __future__ import annotations

import sys
from typing import Callable

SHELLS = ("bash", "zsh", "fish")
HIDDEN_WORD = "__complete"

SCRIPTS = {
    "bash": """# launcher completion for bash: eval "$(launcher completion bash)"
_launcher_complete() {
    local candidate
    COMPREPLY=()
    # One name a line, read whole (no word splitting, no globbing) and quoted with %q: bash inserts
    # a reply as it stands, so a name holding ; * ' or a space must arrive escaped.
    while IFS= read -r candidate; do
        printf -v candidate '%q' "$candidate"
        COMPREPLY+=("$candidate")
    done < <(launcher __complete "$((COMP_CWORD - 1))" "${COMP_WORDS[@]:1}" 2>/dev/null)
}
complete -o default -F _launcher_complete launcher
""",
    "zsh": """# launcher completion for zsh: eval "$(launcher completion zsh)"
_launcher() {
    local -a candidates
    candidates=("${(@f)$(launcher __complete $((CURRENT - 2)) "${(@)words[2,-1]}" 2>/dev/null)}")
    # compadd without -Q quotes each name for the command line itself.
    (( ${#candidates[@]} )) && [[ -n ${candidates[1]} ]] && compadd -a candidates || _files
}
compdef _launcher launcher
""",
    "fish": """# launcher completion for fish: launcher completion fish | source
function __launcher_complete
    set -l words (commandline -opc)
    launcher __complete (math (count $words) - 1) $words[2..-1] (commandline -ct) 2>/dev/null
end
# fish escapes each name as it inserts it; the output of a command substitution is never expanded again.
complete -c launcher -f -a '(__launcher_complete)'
""",
}


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "completion", parents=[common], help="print the shell completion script (bash, zsh or fish)",
        description='Print the completion script for a shell. bash: eval "$(launcher completion bash)" in '
        '~/.bashrc; zsh: eval "$(launcher completion zsh)" in ~/.zshrc (after compinit); fish: '
        "launcher completion fish > ~/.config/fish/completions/launcher.fish")
    parser.add_argument("shell", choices=SHELLS)
    parser.set_defaults(handler=run)


def run(args) -> int:
    sys.stdout.write(SCRIPTS[args.shell])
    return 0


def complete_main(argv: list[str], build_parser: Callable) -> int:
    """`launcher __complete INDEX WORD...`: one candidate a line; nothing (never an error) when unsure.

    ``build_parser`` is the CLI's (handed over: a command module never imports the CLI).
    """
    try:
        index = int(argv[0])
        words = argv[1:]
    except (IndexError, ValueError):
        return 0
    try:
        found = candidates(words, index, build_parser)
    except Exception:  # noqa: BLE001 - a broken stack or anything else must not spill into the prompt
        return 0
    sys.stdout.write("".join(f"{word}\n" for word in map(str, found) if _one_line(word)))
    return 0


def _one_line(name: str) -> bool:
    """Whether a name can be offered: one a line, so a line break would cut it in two, and another
    control character (a tab splits fish's description off, an escape sequence) has no place at a prompt."""
    import unicodedata

    return bool(name) and not any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in name)


def candidates(words: list[str], index: int, build_parser: Callable) -> list[str]:
    """What may stand at ``words[index]``, given the words before it (filtered by what is typed)."""
    import argparse

    current = _unquoted(words[index]) if index < len(words) else ""
    before = words[:index]
    stack_path = _option_value(before, "--stack")
    parser = build_parser([word for word in before if not word.startswith("-")][:1] or ["--help"])
    path: list[str] = []
    positionals_seen = 0
    expecting = None  # the option whose value comes next
    for word in before:
        if expecting is not None:
            expecting = None
            continue
        if word.startswith("-"):
            action = _option(parser, word.split("=", 1)[0])
            if action is not None and action.nargs != 0 and "=" not in word:
                expecting = action
            continue
        sub = _subparsers(parser)
        if sub is not None and word in sub.choices:
            parser, path, positionals_seen = sub.choices[word], [*path, word], 0
        else:
            positionals_seen += 1
    if expecting is not None:
        return _matching(_option_values(expecting, stack_path), current)
    if current.startswith("-"):
        return _matching([s for a in parser._actions for s in a.option_strings if a.help != argparse.SUPPRESS],
                         current)
    sub = _subparsers(parser)
    if sub is not None:
        return _matching([name for name in sub.choices if not name.startswith("_")], current)
    positionals = [a for a in parser._actions if not a.option_strings and a.dest != "help"]
    if not positionals:
        return []
    action = positionals[min(positionals_seen, len(positionals) - 1)]
    if action.choices:
        return _matching(list(action.choices), current)
    source = POSITIONALS.get((*path, action.dest))
    return _matching(source(stack_path) if source else [], current)


def _unquoted(typed: str) -> str:
    """The word being completed as the shell will read it (`x\\;to`, `'x;to` are `x;to`), to match
    names against: the shells hand it over as typed, quotes and backslashes included."""
    if not any(char in typed for char in "'\"\\"):
        return typed
    import shlex

    for closing in ("", "'", '"'):  # a quote still open while the name is being typed
        try:
            parts = shlex.split(typed + closing)
        except ValueError:
            continue
        return parts[0] if len(parts) == 1 else typed
    return typed


def _option_value(words: list[str], option: str) -> str | None:
    for position, word in enumerate(words):
        if word == option and position + 1 < len(words):
            return words[position + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None


def _option(parser, flag: str):
    return next((action for action in parser._actions if flag in action.option_strings), None)


def _subparsers(parser):
    import argparse

    return next((action for action in parser._actions if isinstance(action, argparse._SubParsersAction)), None)


def _matching(names: list[str], typed: str) -> list[str]:
    return [name for name in names if name.startswith(typed)]


def _option_values(action, stack_path: str | None) -> list[str]:
    if action.choices:
        return list(action.choices)
    source = OPTION_VALUES.get(action.option_strings[-1])
    return source(stack_path) if source else []


# -- names from the stack at hand --------------------------------------------------------------


def _stack(stack_path: str | None):
    from wizard.core.manifest.stack import find_manifest, load_stack

    return load_stack(find_manifest(stack_path))


def services(stack_path: str | None) -> list[str]:
    """Service names, from the groups' compose files as written (no `docker compose config`: too slow)."""
    import yaml

    names: list[str] = []
    for group in _stack(stack_path).groups:
        for file in group.compose_files:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            names += [name for name in (data.get("services") or {}) if name not in names]
    return names


def groups(stack_path: str | None) -> list[str]:
    return [group.name for group in _stack(stack_path).groups]


def snapshots(stack_path: str | None) -> list[str]:
    from wizard.core.snapshots.manifest import snapshots_dir

    folder = snapshots_dir(_stack(stack_path))
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if folder.is_dir() else []


def secrets(stack_path: str | None) -> list[str]:
    return [spec.name for spec in _stack(stack_path).secrets]


def instances(_stack_path: str | None) -> list[str]:
    from wizard.core.support.registry import read

    return sorted(read())


Source = Callable[[str | None], list[str]]
# Where a positional's values come from, by (command, [action,] dest).
POSITIONALS: dict[tuple[str, ...], Source] = {
    ("logs", "service"): services,
    ("shell", "service"): services,
    ("restart", "targets"): lambda stack_path: services(stack_path) + groups(stack_path),
    ("reset", "groups"): groups,
    ("snapshot", "restore", "name"): snapshots,
    ("snapshot", "rm", "name"): snapshots,
    ("secrets", "rotate", "name"): secrets,
}
# Where an option's values come from, by its long flag.
OPTION_VALUES: dict[str, Source] = {
    "--only": groups,
    "--instance": instances,
}
