"""`launcher check`: prove the generated keys and auth work on the running stack.

Signs up a throwaway user through Kong with the anon key, reads a row through the REST
API as that user, and deletes the user with the service role key; one line (or one
JSON line) per step. Exits UNHEALTHY when a step fails.
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "check", parents=[common],
        help="sign up a throwaway user through Kong, read a row as them, delete them (after `up`)")
    parser.add_argument("--table", default="profiles", metavar="NAME",
                        help="public table the new user must see a row of (default: profiles, "
                             "filled by the seeds' sign-up trigger)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import frontend, load
    from wizard.core.support.errors import Unhealthy
    from wizard.core.lifecycle.smoke import api_keys, gateway_url, run_check
    from wizard.core.values.resolution import current_values
    from wizard.frontends.plain import render_check_step

    stack = load(args)
    values = current_values(stack)
    url = gateway_url(values)
    failed = []
    ui = frontend(args)
    public_key, server_key = api_keys(values)
    for step in run_check(url, public_key, server_key, table=args.table):
        if not step.ok:
            failed.append(step)
        ui.show(step.to_dict(), render_check_step(step))
    if failed:
        raise Unhealthy(f"check failed at {failed[0].name}: {failed[0].detail}",
                        "see `launcher status`, then `launcher logs auth` (or rest, kong)")
    return 0
