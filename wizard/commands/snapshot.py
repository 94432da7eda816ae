"""`launcher snapshot save|list|rm|restore`: the whole stack's data, saved, verified, restored.

    launcher snapshot save [NAME] [--to PATH] [--encrypt] [--online] [--keep N]
    launcher snapshot list
    launcher snapshot rm NAME [--yes]
    launcher snapshot restore NAME [--yes] [--force] [--allow-unencrypted] [--with-secrets]
    launcher snapshot restore --abandon [--yes]

The work lives in ``wizard.core.snapshots``; this module parses, asks, and hands
the events to the front end (percentage lines, or JSON lines with --json).
"""

from __future__ import annotations

import os

PASSPHRASE_VARIABLE = "LAUNCHER_SNAPSHOT_PASSPHRASE"


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("snapshot", parents=[common],
                                   help="save, list, remove and restore snapshots of every store of the stack")
    actions = parser.add_subparsers(dest="snapshot_action", metavar="ACTION", required=True)

    save = actions.add_parser("save", parents=[common], help="snapshot every database and volume of the stack")
    save.add_argument("name", nargs="?", help="snapshot name (default: the time, e.g. 20260130-094500)")
    save.add_argument("--to", metavar="PATH", help="write the snapshot folder here instead of .launcher/snapshots/NAME")
    save.add_argument("--encrypt", action="store_true",
                      help=f"encrypt every part with a passphrase (${PASSPHRASE_VARIABLE}, or asked)")
    save.add_argument("--online", action="store_true",
                      help="copy volumes without stopping the services that write them (faster, maybe inconsistent)")
    save.add_argument("--keep", type=_count, metavar="N", help="then keep only the N newest snapshots")
    save.set_defaults(handler=run_save)

    listing = actions.add_parser("list", parents=[common], help="snapshots: name, when, size, parts, encrypted")
    listing.set_defaults(handler=run_list)

    remove = actions.add_parser("rm", parents=[common], help="delete a snapshot")
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help="do not ask first")
    remove.set_defaults(handler=run_rm)

    restore = actions.add_parser("restore", parents=[common],
                                 help="verify a snapshot, put every store back, start the stack healthy")
    restore.add_argument("name", nargs="?", help="snapshot name (or the path of a snapshot folder)")
    restore.add_argument("--abandon", action="store_true",
                         help="undo a restore that stopped half way: every store it set aside gets its place back")
    restore.add_argument("--yes", action="store_true", help="do not ask before replacing the stack's data")
    restore.add_argument("--force", action="store_true",
                         help="restore a snapshot of another stack name or another stack.toml")
    restore.add_argument("--allow-unencrypted", action="store_true",
                         help="restore an unencrypted snapshot into a stack that encrypts its snapshots")
    restore.add_argument("--with-secrets", action="store_true",
                         help="also restore the snapshot's secrets and settings (moving a stack to a new machine)")
    restore.set_defaults(handler=run_restore)


def _count(text: str) -> int:
    import argparse

    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def run_save(args) -> int:
    from wizard.commands.context import load
    from wizard.core.snapshots.save import save

    stack = load(args)
    passphrase = _passphrase(args, twice=True) if args.encrypt else None
    emit(args, save(stack, name=args.name, to=args.to, passphrase=passphrase, online=args.online, keep=args.keep),
         verb="save")
    return 0


def run_list(args) -> int:
    from wizard.commands.context import frontend, load
    from wizard.core.snapshots.manifest import list_snapshots
    from wizard.frontends.snapshots import render_list

    rows = []
    for folder, snapshot, problem in list_snapshots(load(args)):
        rows.append(snapshot.summary() if snapshot else {"name": folder.name, "path": str(folder), "problem": problem})
    frontend(args).show({"snapshots": rows}, lambda: render_list(rows))
    return 0


def run_rm(args) -> int:
    """Only a snapshot under .launcher/snapshots, by name, whose manifest loads: never any folder."""
    from wizard.commands.context import confirm, frontend, load
    from wizard.core.support.errors import UsageError
    from wizard.core.support.lock import stack_lock
    from wizard.core.snapshots.manifest import check_name
    from wizard.core.snapshots.manifest import load as load_snapshot
    from wizard.core.snapshots.manifest import locate, remove
    from wizard.frontends.snapshots import removed_line

    if "/" in args.name or os.sep in args.name:
        raise UsageError(f"{args.name!r} is a path; `snapshot rm` removes only snapshots under .launcher/snapshots",
                         "give the snapshot's name (see `launcher snapshot list`), or delete the folder yourself")
    stack = load(args)
    with stack_lock(stack.root, "snapshot rm"):
        folder = locate(stack, check_name(args.name))
        load_snapshot(folder)
        confirm(args, f"delete snapshot {args.name} ({folder})", declined_hint="the snapshot was kept")
        remove(folder)
    frontend(args).show({"removed": args.name, "path": str(folder)}, lambda: removed_line(args.name))
    return 0


def run_restore(args) -> int:
    from wizard.commands.context import confirm, frontend, load
    from wizard.core.snapshots.events import PartProgress
    from wizard.core.snapshots.restore import open_verified, restore
    from wizard.core.support.errors import UsageError
    from wizard.frontends.snapshots import verify_line

    if bool(args.name) == bool(args.abandon):
        raise UsageError("snapshot restore takes a snapshot name, or --abandon alone",
                         "`launcher snapshot restore NAME`, or `launcher snapshot restore --abandon` to undo a "
                         "restore that stopped half way")
    stack = load(args)
    if args.abandon:
        return _abandon(args, stack)
    ui = frontend(args)
    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent - shown[0] >= 10 or done == total:
            shown[0] = percent
            ui.show(PartProgress(action="verify", part="", percent=percent, done=done).to_dict(),
                    lambda: verify_line(done, total))

    from wizard.core.support.lock import stack_lock

    # Locked from the verification on: a concurrent `save --keep` cannot prune what was just checked.
    with stack_lock(stack.root, "snapshot restore"):
        snapshot, key = open_verified(stack, args.name, force=args.force, progress=progress,
                                      allow_unencrypted=args.allow_unencrypted,
                                      passphrase_for=lambda _snapshot: _passphrase(args, twice=False))
        secrets = " and its secrets and settings" if args.with_secrets else ""
        confirm(args, f"replace every database and volume of stack {stack.name}{secrets} with snapshot "
                      f"{snapshot.name}", declined_hint="nothing was changed")
        emit(args, restore(stack, snapshot, key, with_secrets=args.with_secrets), verb="restore")
    return 0


def _abandon(args, stack) -> int:
    from wizard.commands.context import confirm
    from wizard.core.lifecycle import restoremarker as marker
    from wizard.core.snapshots.unfinished import abandon
    from wizard.core.support.errors import UsageError
    from wizard.core.support.lock import stack_lock

    with stack_lock(stack.root, "snapshot restore --abandon"):
        pending = marker.read(stack.root)
        if pending is None:
            raise UsageError("no restore of this stack was stopped half way: there is nothing to undo",
                             "`launcher status` shows where the stack stands")
        confirm(args, f"undo the unfinished restore of snapshot {pending.snapshot}: every database and volume it "
                      "set aside replaces what stands in its place now", declined_hint="nothing was changed")
        emit(args, abandon(stack), verb="abandon")
    return 0


def _passphrase(args, *, twice: bool) -> str | None:
    """From LAUNCHER_SNAPSHOT_PASSPHRASE, or a hidden prompt in a terminal; never echoed or stored."""
    import getpass

    from wizard.commands.context import interactive
    from wizard.core.support.errors import AnswerMissing, UsageError

    given = os.environ.get(PASSPHRASE_VARIABLE)
    if given:
        return given
    if not interactive(args):
        if not twice:
            return None  # the restore refuses with the snapshot's own message
        raise AnswerMissing("--encrypt needs a passphrase and nobody can be asked",
                            f"set {PASSPHRASE_VARIABLE}")
    first = getpass.getpass("Snapshot passphrase (hidden): ")
    if twice and getpass.getpass("Again, to be sure: ") != first:
        raise UsageError("the two passphrases differ", "run the command again")
    if not first:
        raise UsageError("the passphrase is empty", f"type one, or set {PASSPHRASE_VARIABLE}")
    return first


def emit(args, events, *, verb: str) -> None:
    """Each event as it comes: a bar per part in a terminal, JSON lines with --json, percentage lines otherwise.

    A restore interrupted by Ctrl-C still says where each part stands (on stderr) before the process ends.
    """
    from wizard.commands.context import frontend
    from wizard.core.snapshots.events import RestoreInterrupted
    from wizard.frontends.snapshots import ProgressBars, render_snapshot_event

    frontend(args).stream(events, lambda event: render_snapshot_event(event, verb=verb),
                          bars=lambda: ProgressBars(verb), errors=(RestoreInterrupted,), finish_on_interrupt=True)
