"""`launcher logs SERVICE` and `launcher shell SERVICE`: look inside one service."""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    logs = subparsers.add_parser("logs", parents=[common], help="a service's log output")
    logs.add_argument("service")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines until Ctrl-C")
    logs.add_argument("--tail", default="all", metavar="N", help="only the last N lines (default: all)")
    from wizard.commands.up import add_target

    add_target(logs)
    logs.set_defaults(handler=run)

    shell = subparsers.add_parser("shell", parents=[common], help="a shell inside a running service (bash, else sh)")
    shell.add_argument("service")
    add_target(shell)
    shell.set_defaults(handler=run_shell)


def run(args) -> int:
    from wizard.commands.context import load
    from wizard.core.support.errors import UsageError
    from wizard.core.targets.choose import engine_for

    tail = args.tail
    if tail != "all":
        if not tail.isdigit():
            raise UsageError(f"--tail {tail!r} is not a number of lines", "use --tail 100 or --tail all")
        tail = int(tail)
    engine = engine_for(args.target, load(args))
    container = find_container(engine, args.service)
    # On Swarm the task may run on another node: the manager streams the service's logs.
    stream = (engine.service_logs(container.service, follow=args.follow, tail=tail) if args.target == "swarm"
              else engine.logs(container.id, follow=args.follow, tail=tail))
    out = sys.stdout.buffer
    try:
        for chunk in stream:
            out.write(chunk)
            out.flush()
    except KeyboardInterrupt:
        return 0  # Ctrl-C is how --follow ends
    return 0


def run_shell(args) -> int:
    from wizard.commands.context import load
    from wizard.core.support.errors import UsageError
    from wizard.core.targets.choose import engine_for

    engine = engine_for(args.target, load(args))
    container = find_container(engine, args.service)
    if container.state != "running":
        raise UsageError(f"service {args.service} is {container.state}, not running",
                         f"start it with `launcher up` or see `launcher logs {args.service}`")
    if args.target == "swarm":  # its node's engine may not be this one: the shell chooses there
        return engine.exec_interactive(args.service, ["sh", "-c", "command -v bash >/dev/null && exec bash; exec sh"])
    shell = "bash" if engine.has_program(container.id, "bash") else "sh"
    return engine.exec_interactive(args.service, [shell])


def find_container(engine, service: str):
    """The container of a service (its first replica); a UsageError says whether the name is wrong or not started."""
    from wizard.core.support.errors import UsageError

    containers = sorted(engine.containers(), key=lambda c: c.name)
    for container in containers:
        if container.service == service:
            return container
    declared = engine.model().names  # read only on this error path: it runs `compose config`
    if service not in declared:
        raise UsageError(f"no service named {service!r} in stack {engine.project}",
                         f"use one of: {', '.join(sorted(declared))}")
    known = sorted({c.service for c in containers})
    raise UsageError(f"no container for service {service!r} in stack {engine.project}",
                     f"services with containers: {', '.join(known)}" if known else "run `launcher up` first")
