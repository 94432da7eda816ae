"""`launcher upgrade --plan`: what moving the running stack to its compose files' images would change."""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("upgrade", parents=[common],
                                   help="move the running stack to the images its compose files now name")
    parser.add_argument("--plan", action="store_true", required=True,
                        help="show each service whose image changes and each Postgres major move; change nothing")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import frontend, load
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.core.upgrade.plan import make_plan

    stack = load(args)
    plan = make_plan(stack, ComposeEngine(stack))
    frontend(args).show(plan.to_dict(), lambda: render(plan))
    return 0


def render(plan) -> str:
    if plan.empty:
        return "nothing to upgrade: every service runs the image its compose files name"
    lines = [f"{change.service}: {change.old} -> {change.new}" for change in plan.images]
    lines += [f"{change.service}: PostgreSQL {change.old_major} -> {change.new_major} (data volume {change.volume}: "
              "dumped, restored into a new volume; the old one is kept)" for change in plan.majors]
    return "\n".join(lines)
