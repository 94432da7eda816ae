"""`launcher reset [GROUP...]`: the groups' data removed and their seeds applied again.

Default: every group a seed step comes after. Asks first (or --yes).
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("reset", parents=[common],
                                   help="delete groups' volumes, start them again and re-apply their seeds")
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help="groups to reset (default: every group with a seed step)")
    parser.add_argument("--yes", action="store_true", help="do not ask before deleting the data")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="how long each service may take to become healthy again")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import confirm, load
    from wizard.commands.snapshot import emit
    from wizard.core.support.errors import UsageError
    from wizard.core.snapshots.reset import check_groups, default_groups, reset

    stack = load(args)
    groups = check_groups(stack, args.groups) if args.groups else default_groups(stack)
    if not groups:
        raise UsageError("no group has a seed step to reset to", "name the groups: `launcher reset GROUP`")
    confirm(args, f"delete every volume of group(s) {', '.join(groups)} of stack {stack.name} and seed them again",
            declined_hint="nothing was removed; `launcher snapshot save` first if you want a way back")
    emit(args, reset(stack, groups, timeout=args.timeout), verb="reset")
    return 0
