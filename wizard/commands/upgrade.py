"""`launcher upgrade`: move the running stack to the images its compose files now name.

`--plan` shows what would change and changes nothing; otherwise it asks (or `--yes`),
then snapshots, moves Postgres majors into new volumes, switches and recreates, rolling
back if the new config does not become healthy. `--finish` removes the kept old volumes.
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("upgrade", parents=[common],
                                   help="move the running stack to the images its compose files now name")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--plan", action="store_true",
                      help="show each service whose image changes and each Postgres major move; change nothing")
    mode.add_argument("--finish", action="store_true", help="remove the old volumes an upgrade kept")
    parser.add_argument("--yes", action="store_true", help="do not ask before upgrading or removing")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="how long the recreated services may take to become healthy")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import confirm, frontend, load
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.frontends.upgrade import (INTERRUPTED, progress_bars, render_kept, render_plan, render_stopped,
                                         render_upgrade_event)

    from wizard.core.docker.uprecord import set_aside_bad_record

    stack = load(args)
    engine = ComposeEngine(stack)
    aside = set_aside_bad_record(stack.root)  # a note: a wrong one is read as none, never a blocker
    if aside is not None:
        frontend(args).stream(iter([aside]), render_upgrade_event)
    if args.finish:
        return _finish(args, stack, engine)
    from wizard.core.upgrade.journal import read_journal
    from wizard.core.upgrade.plan import make_plan
    from wizard.core.upgrade.run import DEFAULT_WAIT, upgrade

    if read_journal(stack.root) is not None:
        # What runs may be half moved: the plan means something only after the rollback.
        if args.plan:
            frontend(args).show({"interrupted": True}, INTERRUPTED)
            return 0
        confirm(args, f"stack {stack.name}: {INTERRUPTED}", declined_hint="nothing was changed")
    else:
        from wizard.core.upgrade.revive import start_as_recorded, stopped_servers

        stopped = stopped_servers(stack, engine)
        if stopped:
            # The plan reads the old servers' data: they must run, as they ran before.
            if args.plan:
                frontend(args).show({"stopped": stopped}, render_stopped(stopped))
                return 0
            confirm(args, f"stack {stack.name}: {render_stopped(stopped)}", declined_hint="nothing was changed")
            start_as_recorded(stack, engine, stopped, str(int(args.timeout or DEFAULT_WAIT)))
        plan = make_plan(stack, engine)
        if args.plan or plan.empty:
            frontend(args).show(plan.to_dict(), lambda: render_plan(plan))
            return 0
        from wizard.core.upgrade.finish import kept_volumes

        confirm(args, f"upgrade stack {stack.name}: {render_plan(plan)}{render_kept(kept_volumes(stack, engine))}",
                declined_hint="nothing was changed; `launcher upgrade --plan` shows what would")
    # finish_on_interrupt: a Ctrl-C while a line is shown still reaches the upgrade, which rolls back.
    frontend(args).stream(upgrade(stack, engine, timeout=args.timeout), render_upgrade_event, bars=progress_bars,
                          finish_on_interrupt=True)
    return 0


def _finish(args, stack, engine) -> int:
    from wizard.commands.context import confirm, frontend
    from wizard.core.upgrade.finish import finish, kept_volumes

    kept = kept_volumes(stack, engine)
    if not kept:
        frontend(args).show({"removed": []}, "no old volume is kept: nothing to finish")
        return 0
    confirm(args, f"remove the old volume(s) {', '.join(kept)} of stack {stack.name}",
            declined_hint="nothing was removed")
    removed = finish(stack, engine)
    frontend(args).show({"removed": removed}, [f"removed old volume {name}" for name in removed])
    return 0
