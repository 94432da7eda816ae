"""`launcher images ...`: every image the stack needs, pulls with progress, archives for offline machines.

    launcher images                 what the stack needs (active profiles), whether it is here, size, digest
    launcher images pull            pull what is missing, in parallel, with progress
    launcher images save FILE       one archive of every image, with a manifest and its sha256
    launcher images load FILE       verify an archive whole, then load it into the engine
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "images", parents=[common], help="the images the stack needs: list, pull, save and load an archive",
        description="Without an action: every image the stack needs with the active profiles, whether it is "
        "on this machine, its size and digest. `pull` fetches what is missing; `save FILE` and `load FILE` "
        "carry the images to a machine without a registry.")
    profile = common_profile()
    parser.add_argument("--profile", action="append", default=[], metavar="NAME",
                        help="compose profile to count as enabled (repeatable; default: COMPOSE_PROFILES)")
    actions = parser.add_subparsers(dest="images_action", metavar="ACTION")
    actions.add_parser("pull", parents=[common, profile], help="pull every missing image, with progress")
    save = actions.add_parser("save", parents=[common, profile], help="write every image into one archive")
    save.add_argument("file", metavar="FILE", help="the archive to write (replaced only once complete)")
    save.add_argument("--yes", action="store_true", help="replace FILE without asking when it exists")
    load = actions.add_parser("load", parents=[common, profile], help="verify an archive, then load its images")
    load.add_argument("file", metavar="FILE", help="an archive written by `launcher images save`")
    parser.set_defaults(handler=run)


def common_profile():
    import argparse

    parent = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: `images --profile x pull` keeps x rather than being reset by the action's parser.
    parent.add_argument("--profile", action="append", metavar="NAME", default=argparse.SUPPRESS,
                        help="compose profile to count as enabled (repeatable)")
    return parent


def run(args) -> int:
    from wizard.commands.context import load
    from wizard.core.docker.composeengine import ComposeEngine
    from wizard.core.images.inventory import needed_images
    from wizard.core.manifest.plan import build_plan, check_profiles

    stack = load(args)
    check_profiles(stack, args.profile)
    engine = ComposeEngine(stack, profiles=args.profile)
    engine.ping()
    action = args.images_action
    if action == "load":
        from wizard.core.images.bundle import load as load_bundle

        emit(args, load_bundle(engine.image_store, args.file))
        return 0
    # The groups `up` would start: a group skipped for a missing folder needs no image.
    needed = needed_images(engine, [group.name for group in build_plan(stack, profiles=args.profile).groups])
    if action is None:
        return show(args, stack.name, needed)
    if action == "pull":
        from wizard.core.support.events import Note
        from wizard.core.images.inventory import pull
        from wizard.frontends.images import nothing_to_pull

        wanted = [item.image for item in needed if not item.present and not item.build]
        events = pull(engine.image_store, wanted)
        if not wanted:
            events = iter([Note(message=nothing_to_pull(stack.name))])
        emit(args, events)
        return 0
    from pathlib import Path

    from wizard.commands.context import confirm
    from wizard.core.images.bundle import save

    if Path(args.file).is_file():
        confirm(args, f"replace the existing file {args.file}", declined_hint="nothing was written; pick another FILE")
    emit(args, save(engine.image_store, needed, args.file, stack=stack.name))
    return 0


def show(args, stack: str, needed) -> int:
    from wizard.commands.context import frontend
    from wizard.frontends.images import render_images

    frontend(args).show({"stack": stack, "images": [item.to_dict() for item in needed]},
                        lambda: render_images(stack, needed))
    return 0


def emit(args, events) -> None:
    """Progress as JSON lines with --json, bars in a terminal, else plain lines (a line every 10%)."""
    from wizard.commands.context import frontend
    from wizard.frontends.images import ProgressBars

    frontend(args).stream(events, bars=ProgressBars)
