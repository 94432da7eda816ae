"""`launcher seed ...`: database seeds outside of `up`.

    launcher seed postgres [--dry-run] [--reapply PATH]   apply pending SQL seed files
    launcher seed status                                  applied, pending, changed files
    launcher seed capture --from URL [--out DIR]          an existing schema as seed files
    launcher seed mongo [--replace]                       load seeds/mongo (upsert by _id)
    launcher seed mongo --from-uri URI --db NAME          copy a database from another server

Each target is one `_add_<target>` function registered in TARGETS, so another
database (mongo) is one more function and one more entry.
"""

from __future__ import annotations

import sys


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("seed", parents=[common], help="apply database seeds, show their state, "
                                   "capture an existing schema")
    targets = parser.add_subparsers(dest="seed_target", metavar="TARGET", required=True)
    for add in TARGETS:
        add(targets, common)


# ---------------------------------------------------------------- postgres


def _postgres_source_flags(parser) -> None:
    parser.add_argument("--dsn", metavar="DSN", help="connect here instead of the step's dsn from stack.toml")
    parser.add_argument("--dir", metavar="DIR", help="seeds folder instead of the step's dir from stack.toml")
    parser.add_argument("--step", metavar="NAME", help="which postgres-seeds step (when the stack has several)")


def _add_postgres(targets, common) -> None:
    parser = targets.add_parser("postgres", parents=[common], help="apply pending SQL seed files in order")
    _postgres_source_flags(parser)
    parser.add_argument("--dry-run", action="store_true", help="show what would run; change nothing")
    parser.add_argument("--reapply", action="append", default=[], metavar="PATH",
                        help="run this file (or folder) again although it was applied (repeatable)")
    parser.set_defaults(handler=run_postgres)


def _add_status(targets, common) -> None:
    parser = targets.add_parser("status", parents=[common], help="which seed files are applied, pending, changed")
    _postgres_source_flags(parser)
    parser.set_defaults(handler=run_status)


def _add_capture(targets, common) -> None:
    parser = targets.add_parser("capture", parents=[common],
                                help="dump an existing database's schema into ordered seed folders")
    parser.add_argument("--from", dest="source", required=True, metavar="URL",
                        help="postgresql://USER:PASSWORD@HOST:PORT/DB to read (never stored); - reads it from stdin")
    parser.add_argument("--out", metavar="DIR", help="seeds folder to write (default: the step's dir)")
    parser.add_argument("--schema", action="append", default=[], metavar="NAME",
                        help="schema to capture (repeatable; default: public)")
    parser.add_argument("--pg-dump", default="pg_dump", metavar="PATH", help="the pg_dump binary to use")
    parser.add_argument("--yes", action="store_true", help="overwrite previously captured files")
    parser.add_argument("--step", metavar="NAME", help="which postgres-seeds step's dir is the default --out")
    parser.set_defaults(handler=run_capture)


def run_postgres(args) -> int:
    """Apply the pending seed files; one line (or JSON line) per file."""
    from wizard.commands.context import frontend
    from wizard.core.support.events import consume
    from wizard.core.seeds.postgres.apply import apply_stack_seeds

    stack, dsn, directory, values = _postgres_target(args)
    ui = frontend(args)
    summary = consume(apply_stack_seeds(stack, dsn, directory, values, reapply=args.reapply, dry_run=args.dry_run),
                      _progress_shower(ui))
    ui.show({"event": "finished", "ok": True, "summary": summary, "dry_run": args.dry_run}, summary)
    return 0


def _progress_shower(ui):
    """How each seed's StepProgress is shown: its message, or (--json) its JSON line."""
    def show(event) -> None:
        ui.show(event.to_dict(), event.message)
    return show


def run_status(args) -> int:
    """List every seed file with its state."""
    from wizard.commands.context import frontend
    from wizard.core.seeds.postgres.apply import seed_status
    from wizard.frontends.seeds import render_seed_status

    _stack, dsn, directory, _values = _postgres_target(args)
    states = seed_status(dsn, directory)
    frontend(args).show({"dir": str(directory), "files": [state.to_dict() for state in states]},
                        lambda: render_seed_status(states))
    return 0


def run_capture(args) -> int:
    """Write the captured schema files and list them."""
    from pathlib import Path

    from wizard.commands.context import frontend
    from wizard.core.seeds.postgres.capture import capture

    url = sys.stdin.readline().strip() if args.source == "-" else args.source
    if args.out:
        out = Path(args.out)
    else:
        _stack, _dsn, out, _values = _postgres_target(args, need_dsn=False)
    written = capture(url, out, schemas=args.schema or ("public",), overwrite=args.yes, pg_dump=args.pg_dump)
    frontend(args).show({"written": [str(path) for path in written]}, [str(path) for path in written])
    return 0


def _postgres_target(args, need_dsn: bool = True):
    """(stack, dsn, seeds folder, values) from the stack's postgres-seeds step, overridden by flags."""
    from pathlib import Path

    from wizard.commands.context import load
    from wizard.core.support.errors import ConfigError, UsageError
    from wizard.core.manifest.kinds import POSTGRES, seed_steps
    from wizard.core.seeds.postgres.apply import resolve_step
    from wizard.core.seeds.steps import step_folder

    stack = load(args)
    # Without a DSN to build (--dsn given, or capture), setting defaults will do before the first init.
    values = _values(stack, allow_defaults=bool(getattr(args, "dsn", None)) or not need_dsn)
    steps = seed_steps(stack.steps, POSTGRES)
    if args.step:
        steps = [step for step in steps if step.name == args.step]
        if not steps:
            raise UsageError(f"no postgres-seeds step named {args.step}", "see `launcher plan` for the steps")
    if not steps:
        raise ConfigError("stack.toml has no postgres-seeds step", "add [steps.NAME] with kind = \"postgres-seeds\"")
    step = steps[0]
    if getattr(args, "dsn", None):
        dsn, directory = args.dsn, step_folder(stack, step, values)
    else:
        dsn, directory = resolve_step(stack, step, values) if need_dsn else ("", step_folder(stack, step, values))
    if getattr(args, "dir", None):
        directory = Path(args.dir)
    return stack, dsn, directory, values


def _values(stack, allow_defaults: bool) -> dict[str, str]:
    """Every declared value; before the first init, the settings' defaults when allowed."""
    from wizard.core.support.errors import LauncherError
    from wizard.core.values.resolution import current_values

    try:
        return current_values(stack)
    except LauncherError:
        if not allow_defaults:
            raise
        return {setting.name: setting.default for setting in stack.settings if setting.default is not None}


# ---------------------------------------------------------------- mongo


def _add_mongo(targets, common) -> None:
    parser = targets.add_parser("mongo", parents=[common], help="load seeds/mongo into the stack's MongoDB, "
                                "or copy a database from another server")
    parser.add_argument("--replace", action="store_true",
                        help="drop each seeded (or copied) collection first instead of upserting by _id")
    parser.add_argument("--yes", action="store_true", help="with --replace: drop without asking")
    parser.add_argument("--from-uri", metavar="URI",
                        help="copy --db from this server (never stored; - reads it from stdin; left out, it "
                        "is asked with a hidden prompt, which keeps the password out of shell history)")
    parser.add_argument("--db", metavar="NAME", help="the database to copy (same name in the stack's MongoDB)")
    parser.add_argument("--step", metavar="NAME", help="which mongo-seeds step (when the stack has several)")
    parser.set_defaults(handler=run_mongo)


def run_mongo(args) -> int:
    """Load the Mongo seeds, or copy a database; one line (or JSON line) per collection."""
    from wizard.commands.context import confirm, frontend, load
    from wizard.core.support.errors import ConfigError, UsageError
    from wizard.core.manifest.kinds import MONGO, seed_steps
    from wizard.core.seeds.steps import step_folder
    from wizard.core.support.files import shown_path
    from wizard.core.support.events import consume
    from wizard.core.seeds.mongo.data import copy_into_step, run_seed_step

    stack = load(args)
    steps = [step for step in seed_steps(stack.steps, MONGO) if step.name == (args.step or step.name)]
    if not steps:
        if args.step:
            raise UsageError(f"no mongo-seeds step named {args.step}", "see `launcher plan` for the steps")
        raise ConfigError("stack.toml has no mongo-seeds step", 'add [steps.NAME] with kind = "mongo-seeds"')
    step = steps[0]
    values = _values(stack, allow_defaults=False)
    copying = args.from_uri is not None or args.db is not None
    if copying:
        source = _mongo_source_uri(args)
        what = f"the stack's copy of each collection and view of database {args.db}"
    else:
        what = f"every collection seeded from {shown_path(step_folder(stack, step, values), stack.root)}"
    if args.replace:
        confirm(args, f"drop {what} first (--replace)",
                declined_hint="nothing was dropped; run without --replace to upsert by _id instead")
    if copying:
        work = copy_into_step(stack, step, values, source, args.db, replace=args.replace)
    else:
        work = run_seed_step(stack, step, values, replace=args.replace)
    ui = frontend(args)
    summary = consume(work, _progress_shower(ui))
    ui.show({"event": "finished", "ok": True, "summary": summary}, summary)
    return 0


def _mongo_source_uri(args) -> str:
    """The URI to copy from: the flag, stdin (-), or a hidden prompt; never stored anywhere."""
    import getpass

    from wizard.commands.context import interactive
    from wizard.core.support.errors import AnswerMissing, Cancelled, UsageError

    if not args.db:
        raise UsageError("--from-uri needs --db NAME", "name the database to copy")
    if args.from_uri == "-":
        uri = sys.stdin.readline().strip()
    elif args.from_uri:
        uri = args.from_uri
    elif interactive(args):
        uri = getpass.getpass("MongoDB URI to copy from (hidden, not stored): ").strip()
        if not uri:
            raise Cancelled("no URI given", "nothing was copied")
    else:
        raise AnswerMissing("no MongoDB URI to copy from", "pass --from-uri URI, or --from-uri - to read it from stdin")
    if not uri:
        raise UsageError("the URI to copy from is empty", "pass mongodb://USER:PASSWORD@HOST:PORT/")
    return uri


TARGETS = [_add_postgres, _add_status, _add_capture, _add_mongo]
