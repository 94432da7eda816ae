"""`launcher dashboard`: the live status table in a full terminal (`launcher status` there too).

Without a full terminal (a pipe, --plain, --json, --non-interactive) it prints
the same one-shot table as `launcher status`.
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "dashboard", parents=[common], help="live table of every service; keys: logs, restart, shell, up, down",
        description="A live table (group, service, state, health, URL, uptime, restarts) refreshed as health "
        "changes. Keys: l logs of the selected service, r restart it, s shell into it, u up, d down "
        "(asks first), q quit. Without a full terminal it prints `launcher status` once.")
    parser.add_argument("--profile", action="append", default=[], metavar="NAME",
                        help="compose profile whose services to show and start with u (repeatable)")
    from wizard.commands.up import add_target

    add_target(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import load, use_tui

    if use_tui(args):
        from wizard.core.targets.choose import engine_for
        from wizard.tui.app import run_dashboard

        stack = load(args)
        engine = None if args.target == "local" else engine_for(args.target, stack, profiles=args.profile)
        return run_dashboard(stack, profiles=args.profile, engine=engine)
    from wizard.commands import status

    args.watch, args.interval, args.restarts = False, 2.0, True
    return status.run(args)
