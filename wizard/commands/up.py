"""`launcher up`, `launcher down` and `launcher restart`: the stack's lifecycle.

The orchestration lives in ``wizard.core.lifecycle.launch`` as generators of events; this
module hands them to the front end (plain lines, JSON lines with --json, or the
TUI in a full terminal) and asks before deleting data.
"""

from __future__ import annotations


# A tiny module (stdlib only), so `launcher --help` stays fast.
from wizard.core.docker.composerun import PULL_POLICIES

TARGETS = ("local", "swarm")  # wizard.core.targets.choose.TARGETS (not imported: stdlib only at module top)


def add_target(parser) -> None:
    parser.add_argument("--target", choices=TARGETS, default="local",
                        help="local compose project (default) or the engine's Docker Swarm, one stack per group")


def register(subparsers, common) -> None:
    up = subparsers.add_parser(
        "up", parents=[common], help="start the stack in order, wait for health, run init steps",
        description="Preflight (engine, compose, env files, secrets, ports), then start the groups wave by "
        "wave, waiting until every service is healthy and running each wave's init steps. Services "
        "already healthy are left alone, so a second `up` is a fast no-op.")
    up.add_argument("--only", action="append", default=[], metavar="GROUP",
                    help="just this group and the groups it comes after (repeatable)")
    up.add_argument("--profile", action="append", default=[], metavar="NAME",
                    help="compose profile to enable (repeatable)")
    up.add_argument("--pull", choices=PULL_POLICIES, default="missing",
                    help="when images are pulled (default: missing); never: a missing image stops `up` "
                    "before anything starts")
    up.add_argument("--offline", action="store_true",
                    help="pull nothing (as --pull never): a missing image is named, with the fix, before "
                    "anything starts")
    up.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                    help="how long each service may take to become healthy (default: from its healthcheck)")
    up.add_argument("--allow-demo-secrets", action="store_true",
                    help="start even with well-known public demo secrets (throwaway machines only)")
    add_target(up)
    up.set_defaults(handler=run)

    down = subparsers.add_parser("down", parents=[common], help="stop and remove the stack's containers (volumes kept)")
    down.add_argument("--volumes", action="store_true", help="also delete the stack's volumes: ALL ITS DATA")
    down.add_argument("--yes", action="store_true", help="do not ask before deleting volumes (or, with --all, at all)")
    down.add_argument("--all", action="store_true", dest="every",
                      help="every instance on this machine (see `launcher ls`), not just this checkout's")
    add_target(down)
    down.set_defaults(handler=run_down)

    restart = subparsers.add_parser("restart", parents=[common], help="restart services or groups and wait for health")
    restart.add_argument("targets", nargs="+", metavar="SERVICE|GROUP")
    restart.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                         help="how long each service may take to become healthy again")
    restart.set_defaults(handler=run_restart)


def _seconds(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def run(args) -> int:
    from wizard.commands.context import load, use_tui
    from wizard.core.lifecycle import launch
    from wizard.core.support import registry
    from wizard.core.targets.choose import engine_for

    stack = load(args)
    registry.read()  # a damaged instance registry refuses here (exit 3), not once the stack has started
    # None keeps the local default exactly as before: launch and the TUI build their own Engine.
    engine = None if args.target == "local" else engine_for(args.target, stack, profiles=args.profile)
    if use_tui(args):
        from wizard.tui.app import run_up

        return run_up(stack, profiles=args.profile, engine=engine, only=args.only, pull=args.pull,
                      timeout=args.timeout, allow_demo_secrets=args.allow_demo_secrets, offline=args.offline)
    emit(args, launch.up(stack, engine=engine, only=args.only, profiles=args.profile, pull=args.pull,
                         timeout=args.timeout, allow_demo_secrets=args.allow_demo_secrets, offline=args.offline))
    return 0


def run_down(args) -> int:
    from wizard.commands.context import confirm, load
    from wizard.core.lifecycle import launch

    if args.every:
        from wizard.core.lifecycle.instances import down_all, down_targets, sdk_client
        from wizard.core.support.errors import DockerUnavailable

        client = sdk_client()
        if client is None:
            raise DockerUnavailable("no Docker engine answers", "start Docker, then run `launcher down --all` again")
        targets = down_targets(client)
        if not targets:
            emit(args, down_all([], client))
            return 0
        what = "with all their data" if args.volumes else "volumes kept"
        # A checkout whose folder is gone or moved is only stopped: its data waits for `gc`.
        names = [row.name if row.folder_ok else f"{row.name} (folder not its checkout: stopped only)"
                 for row in targets]
        confirm(args, f"stop {len(targets)} instance(s) ({what}): {', '.join(names)}",
                declined_hint="nothing was stopped; `launcher ls` lists them")
        emit(args, down_all(targets, client, volumes=args.volumes))
        return 0
    stack = load(args)
    if args.volumes:
        confirm(args, f"delete every volume of stack {stack.name}, with all its data",
                declined_hint="nothing was removed; run `launcher down` to keep the data")
    from wizard.core.targets.choose import engine_for

    engine = None if args.target == "local" else engine_for(args.target, stack)
    emit(args, launch.down(stack, engine=engine, volumes=args.volumes))
    return 0


def run_restart(args) -> int:
    from wizard.commands.context import load
    from wizard.core.lifecycle import launch

    emit(args, launch.restart(load(args), args.targets, timeout=args.timeout))
    return 0


def emit(args, events) -> None:
    """Each event as it comes: JSON lines with --json, plain lines otherwise (image progress every 10%)."""
    from wizard.commands.context import frontend

    frontend(args).stream(events)
