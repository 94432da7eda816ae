"""`launcher status`: where every service stands; --watch refreshes in place."""

from __future__ import annotations

import sys
import time


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("status", parents=[common], help="state, health, URLs and uptime of every service")
    parser.add_argument("--watch", action="store_true", help="refresh until Ctrl-C")
    parser.add_argument("--interval", type=float, default=2.0, metavar="SECONDS",
                        help="seconds between refreshes with --watch (default: 2)")
    parser.add_argument("--restarts", action="store_true",
                        help="also show restart counts (one extra API call per container)")
    from wizard.commands.up import add_target

    add_target(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import frontend, load, use_tui
    from wizard.core.snapshots.manifest import last_snapshot
    from wizard.core.targets.choose import engine_for
    from wizard.core.lifecycle.status import snapshot

    from wizard.core.support.registry import block_of, instance_title

    from wizard.core.lifecycle.instances import follow_move

    stack = load(args)
    follow_move(stack.root)  # a checkout that moved is found where it now is (`ls`, `gc`)
    engine = engine_for(args.target, stack)
    title = instance_title(stack.project)
    if use_tui(args):
        from wizard.tui.app import run_dashboard

        return run_dashboard(stack, engine=None if args.target == "local" else engine)
    ui = frontend(args)
    # A watch in a terminal redraws in place; in a pipe or a log each refresh follows the last.
    redraw_every = args.interval if args.watch and sys.stdout.isatty() else None
    engine_named: list[dict] = []  # which engine, asked once and only for --json (two more API calls)

    def with_engine(data: dict) -> dict:
        if not engine_named:
            engine_named.append(engine_summary(engine.versions()))
        return {**data, "engine": engine_named[0]}

    try:
        while True:
            # Sequential by construction: the next poll starts only after this one is shown.
            rows = snapshot(stack, engine, restarts=args.restarts)
            last = last_snapshot(stack)
            restore = _unfinished_restore(stack, engine)
            # On Swarm: every node, whether it is up, whose data it keeps and what it runs.
            nodes = engine.node_report() if hasattr(engine, "node_report") else None
            data = {"stack": stack.name, "instance": stack.project, "port_offset": block_of(stack.project),
                    "services": [row.to_dict() for row in rows], "last_snapshot": last, "unfinished_restore": restore}
            if nodes is not None:
                data["nodes"] = [node.to_dict() for node in nodes]
            shown = {"time": time.time(), **data} if args.watch else data
            ui.show(lambda: with_engine(shown), lambda: _screen(rows, title, last, redraw_every, restore, nodes))
            if not args.watch:
                return 0
            time.sleep(max(0.2, args.interval))
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how --watch ends


def _unfinished_restore(stack, engine) -> dict | None:
    """A restore stopped half way, with what the engine and the server show set aside (None: there is none)."""
    from wizard.core.lifecycle.restoremarker import read

    if read(stack.root) is None:  # read strictly: a marker of another shape stops `status` in one line
        return None
    from wizard.core.snapshots.unfinished import report

    found = report(stack, engine)
    return found.to_dict() if found else None


def engine_summary(facts: dict) -> dict:
    """The engine as `status --json` names it: Docker or Podman, versions, rootless, where it was found."""
    return {"kind": facts.get("kind", "Docker"), "version": facts["engine"], "api": facts["api"],
            "rootless": bool(facts.get("rootless")), "endpoint": facts.get("endpoint"),
            "via": facts.get("via"), "context": facts.get("context")}


def _screen(rows, stack_name: str, last, redraw_every, restore=None, nodes=None) -> str:
    # Imported only when words are shown: --json needs none, and they pull in every event type.
    from wizard.frontends.snapshots import unfinished_lines
    from wizard.frontends.status import render_status_screen

    return "\n".join([render_status_screen(rows, stack_name, last, redraw_every=redraw_every, nodes=nodes),
                      *unfinished_lines(restore)])
