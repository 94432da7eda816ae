"""`launcher secrets show|check|rotate`: look at, verify and replace generated secrets.

Values stay hidden unless `show --reveal` is asked for; `check` and `rotate`
print names and reasons only.
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("secrets", parents=[common], help="show, check or rotate generated secrets")
    actions = parser.add_subparsers(dest="secrets_action", metavar="ACTION", required=True)

    show = actions.add_parser("show", parents=[common], help="list secrets, values masked")
    show.add_argument("--reveal", action="store_true", help="print the values themselves")
    show.set_defaults(handler=run_show)

    check = actions.add_parser("check", parents=[common],
                               help="verify JWT signatures and roles, lengths, alphabets, no demo values")
    check.set_defaults(handler=run_check)

    rotate = actions.add_parser("rotate", parents=[common],
                                help="generate a new value for a secret and re-sign the JWTs it signs")
    rotate.add_argument("name", metavar="NAME", help="the secret to replace, e.g. JWT_SECRET")
    rotate.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rotate.add_argument("--apply", action="store_true",
                        help="also change it inside the running database (the secret's `apply` step and "
                        "`roles` in stack.toml), then recreate the services whose environment changed")
    rotate.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="with --apply: how long each recreated service may take to become healthy")
    rotate.set_defaults(handler=run_rotate)


def run_show(args) -> int:
    from wizard.commands.context import frontend, load
    from wizard.core.support.redact import mask
    from wizard.core.values.secrets import describe
    from wizard.core.values.resolution import current_values
    from wizard.frontends.secrets import render_secrets

    stack = load(args)
    values = current_values(stack)
    rows = []
    for spec in stack.secrets:
        value = values.get(spec.name, "")
        row = {"name": spec.name, "kind": spec.kind, "about": describe(spec, value),
               "value": value if args.reveal else mask(value)}
        rows.append(row)
    frontend(args).show({"secrets": rows, "revealed": bool(args.reveal)}, lambda: render_secrets(rows))
    return 0


def run_check(args) -> int:
    from wizard.commands.context import frontend, load
    from wizard.core.values.envfiles import write_outputs
    from wizard.core.support.errors import SecretsCheckFailed
    from wizard.core.values.secrets import check_secrets
    from wizard.core.values.resolution import current_values
    from wizard.frontends.secrets import render_secrets_check

    stack = load(args)
    values = current_values(stack)
    problems = check_secrets(stack, values)
    # Env files that no longer match the store (edited by hand, deleted) are
    # just as broken: services would start with other secrets than the ones checked.
    stale = [change for change in write_outputs(stack, values, dry_run=True)
             if change.kind in ("env", "keyfile") and (change.action == "create" or change.updated)]
    frontend(args).show({"ok": not problems and not stale, "problems": [p.to_dict() for p in problems],
                         "stale_files": [change.path for change in stale]},
                        lambda: render_secrets_check(problems, stale, len(stack.secrets)))
    if problems or stale:
        count = len(problems) + len(stale)
        raise SecretsCheckFailed(f"{count} problem(s) with secrets or env files",
                                 "rotate a bad secret with `launcher secrets rotate NAME`; "
                                 "rewrite env files with `launcher init`")
    return 0


def run_rotate(args) -> int:
    from wizard.commands.context import confirm, frontend, load
    from wizard.core.values.envfiles import store_path
    from wizard.core.support.errors import UsageError
    from wizard.core.values.secrets import rotation_set, services_to_restart
    from wizard.core.values.resolution import current_values, initialize
    from wizard.frontends.secrets import render_rotation

    stack = load(args)
    declared = [spec.name for spec in stack.secrets]
    if args.name not in declared:
        raise UsageError(f"no secret named {args.name}", f"use one of: {', '.join(declared)}")
    current_values(stack)  # rotating needs an initialized stack
    if args.apply:
        return run_rotate_apply(args, stack)
    names = rotation_set(stack, [args.name])
    action = f"rotate {args.name}" + (f" and re-sign {', '.join(names[1:])}" if len(names) > 1 else "")
    confirm(args, f"{action} (services using them must restart)", declined_hint="nothing was changed")

    result = initialize(stack, {}, rotate=[args.name])
    changed_files = [change for change in result.changes if change.changes and change.kind in ("env", "keyfile")]
    compose_env = stack.root / stack.compose_env_file.relative_to(stack.root)
    changed_keys = {key for change in changed_files for key in change.updated
                    if stack.root / change.path == compose_env}
    restart = services_to_restart(stack, set(names) | changed_keys,
                                  [stack.root / change.path for change in changed_files
                                   if stack.root / change.path != compose_env])
    store = str(store_path(stack).relative_to(stack.root))
    frontend(args).show({"rotated": names, "files": [c.to_dict() for c in result.changes if c.changes],
                         "restart": restart},
                        lambda: render_rotation(stack.secret(args.name), names,
                                                [c for c in result.changes if c.changes and c.path != store], restart))
    return 0


def run_rotate_apply(args, stack) -> int:
    from wizard.commands.context import confirm, frontend
    from wizard.core.lifecycle.rotation import apply_rotation, read_pending

    spec = stack.secret(args.name)
    verb = "finish rotating" if read_pending(stack, args.name) else "rotate"
    confirm(args, f"{verb} {args.name}: change it for role(s) {', '.join(spec.roles)} inside the database "
            f"(step {spec.apply}), write the env files and recreate the services using it",
            declined_hint="nothing was changed")
    frontend(args).stream(apply_rotation(stack, args.name, timeout=args.timeout))
    return 0
