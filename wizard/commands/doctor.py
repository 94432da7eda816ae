"""`launcher doctor`: engine, compose, memory, disk and port checks; non-zero on a blocker."""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("doctor", parents=[common],
                                   help="check Docker, Compose, memory, disk and the stack's ports")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import frontend, load
    from wizard.core.lifecycle.doctor import finding, run_doctor
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.exitcodes import ExitCode
    from wizard.frontends.plain import render_checks

    stack = load(args)
    engine = ComposeEngine(stack)
    checks = run_doctor(stack, engine) + pin_advisory_checks(stack, engine)
    blockers = [check for check in checks if check.status == "fail"]
    frontend(args).show({"ok": not blockers, "checks": [finding(check) for check in checks]},
                        lambda: render_checks(checks))
    if any(check.name in ("engine", "compose") for check in blockers):
        return ExitCode.DOCKER_UNAVAILABLE
    return ExitCode.PREFLIGHT if blockers else ExitCode.OK


def pin_advisory_checks(stack, engine) -> list:
    """The running pins the stack's records mark with a known advisory; a wrong record is a failed check."""
    from wizard.core.lifecycle.advisories import running_pin_advisories
    from wizard.core.support.errors import ConfigError
    from wizard.core.support.events import PreflightCheck
    from wizard.frontends.advisories import advisory_checks

    try:
        return advisory_checks(running_pin_advisories(stack.root, engine))
    except ConfigError as error:
        return [PreflightCheck("advisories", "fail", error.message, error.hint)]
