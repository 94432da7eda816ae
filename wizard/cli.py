"""Command-line entry point: parses arguments, runs one command, maps errors to exit codes.

This is the only module that ends the process. Each command lives in its own
module under ``wizard.commands``, listed in its ``COMMANDS`` table; those modules
import only the standard library at the top, so ``launcher --help`` stays fast
and free of docker, textual & co.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Sequence

from wizard import __version__
from wizard.exitcodes import ExitCode


def command_modules(word: str | None = None) -> list:
    """The modules that register ``word`` (when ``COMMANDS`` names it), else every command module,
    in the table's order."""
    from wizard.commands import COMMANDS

    names = [COMMANDS[word]] if word in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    return [import_module(f"wizard.commands.{name}") for name in names]


def _command_word(argv: Sequence[str]) -> str | None:
    """The command named in argv (the first word that is not an option of the main parser)."""
    words = iter(argv)
    for word in words:
        if word == "--stack":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def hide_values(message: str, argv: Sequence[str] = ()) -> str:
    """``message`` with the value of every NAME=VALUE or --flag=value token replaced by ``=…``,
    and every unrecognised word after an unrecognised flag replaced by ``…``.

    argparse quotes the arguments it did not understand, and a mistyped
    ``--sett JWT_SECRET=...`` would put the secret on the terminal. Tokens of
    ``argv`` go first, whole, so a value holding spaces is hidden entirely.
    """
    import re

    for token in sorted(argv, key=len, reverse=True):
        name, equals, value = token.partition("=")
        if equals and value:
            # Whole, and as argparse quotes a value alone ("ignored explicit argument 'x'").
            message = message.replace(token, f"{name}=…").replace(repr(value), "'…'")
    message = re.sub(r"([\w.-]+)=(?!…)[^\s'\",]+", r"\1=…", message)
    head, found, extras = message.partition("unrecognized arguments: ")
    if not found:
        return message
    # A word given after a flag may be its value (`--bogus VALUE`, `--set=NAME VALUE`): only flags are named.
    for token in sorted({word for flag, word in zip(argv, argv[1:]) if flag.startswith("-") and word},
                        key=len, reverse=True):
        if not token.startswith("-"):
            extras = extras.replace(token, "…")
    words, after_flag = [], False
    for word in extras.split(" "):
        after_flag = after_flag or word.startswith("-")
        words.append(word if word.startswith("-") or not after_flag else "…")
    return head + found + " ".join(words)


def build_parser(argv: Sequence[str] = ()):
    """The full argument parser, one sub-command per ``wizard.commands`` module.

    ``argv`` is only used to keep the values it holds out of error messages.
    """
    import argparse

    class Parser(argparse.ArgumentParser):
        examples = ""  # the end of its --help (``wizard.commands.examples``), hung on by _hang_examples

        def format_help(self) -> str:
            return super().format_help() + (f"\n{self.examples}" if self.examples else "")

        # argparse prints usage plus an error and exits; we want one line and our code.
        def error(self, message: str) -> None:  # type: ignore[override]
            from wizard.core.support.errors import UsageError

            raise UsageError(hide_values(message, argv), f"see `{self.prog} --help`")

        # argparse's own messages quote the word given ("invalid choice: 'WORD'", "invalid float
        # value: 'WORD'"), and a secret pasted into the wrong place would land on the terminal:
        # these name the flag or position and what it takes, never the word.
        def _check_value(self, action, value) -> None:
            if action.choices is not None and value not in action.choices:
                valid = ", ".join(str(choice) for choice in action.choices if not str(choice).startswith("_"))
                raise argparse.ArgumentError(action, f"invalid choice (choose from {valid})")

        def _get_value(self, action, arg_string: str):
            try:
                return super()._get_value(action, arg_string)
            except argparse.ArgumentError as error:
                # Both argparse's message and the launcher's own types quote the word with repr().
                word = repr(arg_string)
                message = str(error.message).replace(f": {word}", "").replace(word, "the value")
                raise argparse.ArgumentError(action, message) from None

    common = Parser(add_help=False)
    # SUPPRESS keeps a flag given before the command from being reset by the sub-parser.
    common.add_argument("--stack", metavar="PATH", default=argparse.SUPPRESS,
                        help="stack manifest (default: ./stack.toml, or $LAUNCHER_STACK)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable output: JSON (lines) on stdout")
    common.add_argument("--plain", action="store_true", default=argparse.SUPPRESS,
                        help="plain prompts and line output instead of the full-screen UI")
    common.add_argument("--non-interactive", action="store_true", default=argparse.SUPPRESS,
                        help="never prompt; take answers from flags, LAUNCHER_* variables or --answers")

    parser = Parser(
        prog="launcher",
        description="From a fresh clone to a healthy local stack: env files, secrets, "
        "compose groups in order, database seeds.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"launcher {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Building every command's parser costs a daily `up` or `status` more than its own work:
    # a known command gets its own module's parser; help or a typo gets every command.
    for module in command_modules(_command_word(argv)):
        module.register(subparsers, common)
    _hang_examples(parser)
    return parser


def _hang_examples(parser, words: tuple[str, ...] = ()) -> None:
    """Give ``parser`` and every parser below it the examples its --help ends with."""
    import argparse

    from wizard.commands.examples import examples_text

    parser.examples = examples_text(" ".join(words))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for word, sub in action.choices.items():
                _hang_examples(sub, (*words, word))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (the console script exits with it)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--version"]:
        # The most common scripted call: answer before building any parser.
        print(f"launcher {__version__}")
        return ExitCode.OK
    if argv[:1] == ["__complete"]:
        # What the shell completion scripts ask for on each Tab: candidates, never an error.
        from wizard.commands.completion import complete_main

        return complete_main(argv[1:], build_parser)
    try:
        _install_wait_notice()
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        for flag in ("stack", "json", "plain", "non_interactive"):
            if not hasattr(args, flag):
                setattr(args, flag, None if flag == "stack" else False)
        if not getattr(args, "handler", None):
            parser.print_help(sys.stderr)
            return ExitCode.USAGE
        return int(args.handler(args) or ExitCode.OK)
    except KeyboardInterrupt:
        from wizard.frontends.errors import report_interrupted

        return report_interrupted()
    except BrokenPipeError:
        # The reader went away (`launcher status --json | head`): not our failure.
        sys.stderr.close()
        return ExitCode.OK
    except Exception as error:  # noqa: BLE001 - the one place every error is turned into a code
        from wizard.frontends.errors import report

        return report(error)


def _install_wait_notice() -> None:
    """While another launcher holds the stack's lock, say so once on stderr."""
    from wizard.core.support.lock import set_wait_notice
    from wizard.frontends.errors import report_lock_wait

    set_wait_notice(report_lock_wait)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
