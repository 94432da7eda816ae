"""`launcher status`: where every service stands; --watch refreshes in place."""

from __future__ import annotations

import sys
import time

ORDER = 30


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
    from wizard.commands.context import load, print_json, use_tui
    from wizard.core.snapshots.manifest import last_snapshot
    from wizard.core.targets import engine_for
    from wizard.core.status import snapshot

    stack = load(args)
    engine = engine_for(args.target, stack)
    if use_tui(args):
        from wizard.tui.app import run_dashboard

        return run_dashboard(stack, engine=None if args.target == "local" else engine)
    redraw = sys.stdout.isatty() and not args.json
    try:
        while True:
            # Sequential by construction: the next poll starts only after this one is shown.
            rows = snapshot(stack, engine, restarts=args.restarts)
            last = last_snapshot(stack)
            if args.json:
                print_json({"stack": stack.name, "services": [row.to_dict() for row in rows], "last_snapshot": last}
                           if not args.watch else {"time": time.time(), "stack": stack.name,
                                                   "services": [row.to_dict() for row in rows],
                                                   "last_snapshot": last})
            else:
                # Here, not at the top: --json needs no words, and these pull in every event type.
                from wizard.frontends.plain import render_status
                from wizard.frontends.snapshots import last_snapshot_line

                text = render_status(rows, stack=stack.name) + "\n" + last_snapshot_line(last)
                if args.watch and redraw:
                    # Home + clear screen, then the table: one redraw, no scrolling history.
                    sys.stdout.write("\x1b[H\x1b[2J" + text + f"\n(every {args.interval:g}s, Ctrl-C to stop)\n")
                    sys.stdout.flush()
                else:
                    print(text, flush=True)
            if not args.watch:
                return 0
            time.sleep(max(0.2, args.interval))
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how --watch ends
