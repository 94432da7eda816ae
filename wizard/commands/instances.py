"""`launcher ls` and `launcher gc`: every instance of every stack on this machine."""

from __future__ import annotations


def register(subparsers, common) -> None:
    ls = subparsers.add_parser("ls", parents=[common], help="every instance on this machine: folder, state, ports",
                               description="Every checkout of a stack on this machine that ran `launcher init`: "
                               "its instance name, folder, state, ports, disk used by its volumes, last `up`.")
    ls.set_defaults(handler=run_ls)
    gc = subparsers.add_parser("gc", parents=[common], help="remove what instances whose folder is gone left behind",
                               description="List the instances whose folder is gone (or whose folder is now "
                               "another instance's) and of which nothing runs, and remove their containers and "
                               "networks; with --volumes their volumes too, except a volume another container "
                               "uses. Asks first unless --yes.")
    gc.add_argument("--volumes", action="store_true", help="also delete their volumes: ALL THEIR DATA")
    gc.add_argument("--yes", action="store_true", help="do not ask")
    gc.set_defaults(handler=run_gc)


def run_ls(args) -> int:
    from wizard.commands.context import frontend
    from wizard.core.lifecycle.instances import forget_gone, rows, sdk_client
    from wizard.frontends.instances import render_instances

    notice_move(args)
    client = sdk_client()
    if client is not None:
        forget_gone(client)
    found = rows(client)
    frontend(args).show({"instances": [row.to_dict() for row in found], "engine": client is not None},
                        lambda: render_instances(found, engine=client is not None))
    return 0


def notice_move(args) -> None:
    """Move the registry entry of the checkout this command runs in, if it moved (see ``follow_move``)."""
    from wizard.core.lifecycle.instances import follow_move
    from wizard.core.manifest.stack import find_manifest
    from wizard.core.support.errors import ConfigError

    try:
        manifest = find_manifest(args.stack)
    except ConfigError:
        return  # `ls` and `gc` run anywhere: outside a checkout there is nothing to notice
    follow_move(manifest.parent)


def run_gc(args) -> int:
    from wizard.commands.context import confirm, frontend
    from wizard.core.lifecycle.instances import gc, rows, sdk_client
    from wizard.core.support.errors import DockerUnavailable
    from wizard.frontends.instances import render_gc

    client = sdk_client()
    if client is None:
        raise DockerUnavailable("no Docker engine answers", "start Docker, then run `launcher gc` again")
    notice_move(args)
    found = rows(client)
    doomed = [row for row in found if row.stale]
    # Running, though the registry's folder is not its checkout: a moved checkout, never touched.
    astray = [row for row in found if not row.folder_ok and not row.stale]
    ui = frontend(args)
    ui.show({"stale": [row.to_dict() for row in doomed], "kept_running": [row.to_dict() for row in astray]},
            lambda: render_gc(doomed, astray, volumes=args.volumes))
    if not doomed:
        return 0
    what = "containers, networks and volumes" if args.volumes else "containers and networks"
    confirm(args, f"remove the {what} of {len(doomed)} stale instance(s): {', '.join(r.name for r in doomed)}",
            declined_hint="nothing was removed")
    ui.stream(gc(doomed, client, volumes=args.volumes))
    return 0
