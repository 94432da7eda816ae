"""`launcher seed ...`: database seeds outside of `up`.

    launcher seed postgres [--dry-run] [--reapply PATH]   apply pending SQL seed files
    launcher seed status                                  applied, pending, changed files
    launcher seed capture --from URL [--out DIR]          an existing schema as seed files

Each target is one `_add_<target>` function registered in TARGETS, so another
database (mongo) is one more function and one more entry.
"""

from __future__ import annotations

import sys

ORDER = 40


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("seed", parents=[common], help="apply database seeds, show their state, "
                                   "capture an existing schema")
    targets = parser.add_subparsers(dest="seed_target", metavar="TARGET")
    for add in TARGETS:
        add(targets, common)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _usage(parser) -> int:
    parser.print_help(sys.stderr)
    return 2


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
    from wizard.commands.context import print_json
    from wizard.core.postgres import apply_seeds

    dsn, directory, values = _postgres_target(args)
    seeding = apply_seeds(dsn, directory, values, reapply=args.reapply, dry_run=args.dry_run)
    while True:
        try:
            outcome = next(seeding)
        except StopIteration as done:
            summary = done.value
            break
        if args.json:
            print_json({"event": "seed-file", "path": outcome.path, "action": outcome.action,
                        "seconds": round(outcome.seconds, 3)})
        else:
            print(outcome.describe(), flush=True)
    if args.json:
        print_json({"event": "finished", "ok": True, "summary": summary, "dry_run": args.dry_run})
    else:
        print(summary)
    return 0


def run_status(args) -> int:
    """List every seed file with its state."""
    from wizard.commands.context import print_json
    from wizard.core.postgres import seed_status

    dsn, directory, _values = _postgres_target(args)
    states = seed_status(dsn, directory)
    if args.json:
        print_json({"dir": str(directory), "files": [state.to_dict() for state in states]})
        return 0
    width = max((len(state.path) for state in states), default=0)
    for state in states:
        when = f"  {state.applied_at:%Y-%m-%d %H:%M}" if state.applied_at else ""
        print(f"{state.path:<{width}}  {state.state}{when}")
    counts = {name: sum(state.state == name for state in states) for name in ("applied", "pending", "changed",
                                                                               "missing")}
    print(", ".join(f"{count} {name}" for name, count in counts.items() if count) or "no seed files")
    return 0


def run_capture(args) -> int:
    """Write the captured schema files and list them."""
    from pathlib import Path

    from wizard.commands.context import print_json
    from wizard.core.pgcapture import capture

    url = sys.stdin.readline().strip() if args.source == "-" else args.source
    if args.out:
        out = Path(args.out)
    else:
        _dsn, out, _values = _postgres_target(args, need_dsn=False)
    written = capture(url, out, schemas=args.schema or ("public",), overwrite=args.yes, pg_dump=args.pg_dump)
    if args.json:
        print_json({"written": [str(path) for path in written]})
    else:
        for path in written:
            print(path)
    return 0


def _postgres_target(args, need_dsn: bool = True):
    """(dsn, seeds folder, values) from the stack's postgres-seeds step, overridden by flags."""
    from pathlib import Path

    from wizard.commands.context import load
    from wizard.core.errors import ConfigError, UsageError
    from wizard.core.interpolate import substitute
    from wizard.core.postgres import resolve_step

    stack = load(args)
    values = _values(stack, allow_defaults=bool(getattr(args, "dsn", None)))
    steps = [step for step in stack.steps if step.kind == "postgres-seeds"]
    if args.step:
        steps = [step for step in steps if step.name == args.step]
        if not steps:
            raise UsageError(f"no postgres-seeds step named {args.step}", "see `launcher plan` for the steps")
    if not steps:
        raise ConfigError("stack.toml has no postgres-seeds step", "add [steps.NAME] with kind = \"postgres-seeds\"")
    step = steps[0]
    source = f"stack.toml [steps.{step.name}]"
    if getattr(args, "dsn", None):
        dsn = args.dsn
        directory = stack.root / substitute(str(step.params["dir"]), values, source=source)
    else:
        dsn, directory = resolve_step(stack, step, values) if need_dsn else (
            "", stack.root / substitute(str(step.params["dir"]), values, source=source))
    if getattr(args, "dir", None):
        directory = Path(args.dir)
    return dsn, directory, values


def _values(stack, allow_defaults: bool) -> dict[str, str]:
    """Every declared value; before the first init, setting defaults will do when --dsn is given."""
    from wizard.core.errors import LauncherError
    from wizard.core.values import current_values

    try:
        return current_values(stack)
    except LauncherError:
        if not allow_defaults:
            raise
        return {setting.name: setting.default for setting in stack.settings if setting.default is not None}


TARGETS = [_add_postgres, _add_status, _add_capture]
