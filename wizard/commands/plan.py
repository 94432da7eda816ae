"""`launcher plan`: the order groups start in and where init steps run."""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("plan", parents=[common], help="show the start order (waves) and init steps")
    parser.add_argument("--only", action="append", default=[], metavar="GROUP",
                        help="just this group and what it comes after (repeatable)")
    parser.add_argument("--profile", action="append", default=[], metavar="NAME",
                        help="compose profile to enable (repeatable)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import frontend, load
    from wizard.core.manifest.plan import build_plan, check_profiles
    from wizard.frontends.plain import render_plan

    stack = load(args)
    check_profiles(stack, args.profile)
    plan = build_plan(stack, only=args.only, profiles=args.profile)
    if stack.compose_env_output and stack.compose_env_file.is_file():
        # The compose files can be read (interpolated) once `init` wrote their env file.
        from wizard.core.docker.composeengine import ComposeEngine
        from wizard.core.lifecycle.ordering import check_dependency_order

        check_dependency_order(stack, ComposeEngine(stack, profiles=args.profile).model())
    frontend(args).show(plan.to_dict(), lambda: render_plan(plan))
    return 0
