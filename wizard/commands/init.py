"""`launcher init`: resolve every secret and setting, write the env files.

Answers come from --set, LAUNCHER_<NAME> variables and --answers FILE; every
other value is the existing one, the default, or freshly generated. Nothing is
ever read from stdin here: the interactive front ends (Textual wizard,
questionary prompts) ask their questions and then call the same
``wizard.core.values.resolution.initialize`` with the answers.
"""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "init", parents=[common], help="generate secrets and write every env file (safe to re-run)",
        description="Generate secrets and write every env file from envtemplates/. Existing values are "
        "kept; answers override them. Answers file: TOML when it ends in .toml (NAME = \"value\"), "
        "dotenv (NAME=value) otherwise.")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="sets",
                        help="answer for a setting or secret (repeatable; beats LAUNCHER_NAME and --answers)")
    parser.add_argument("--answers", metavar="FILE", help="answers file: TOML (*.toml) or dotenv")
    parser.add_argument("--dry-run", action="store_true", help="show which files would change; write nothing")
    parser.add_argument("--replace-demo", action="store_true",
                        help="replace every published demo secret found (e.g. in a .env copied from upstream's "
                        ".env.example) with a new one, re-signing the keys that depend on it")
    parser.add_argument("--instance", metavar="NAME",
                        help="this checkout's instance name: its compose project, volumes and networks "
                        "(default: the stack's name in the main checkout, <stack>-<worktree or branch> elsewhere)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import frontend, interactive, load, use_tui
    from wizard.core.values.resolution import collect_answers, initialize

    from wizard.commands.instances import notice_move
    from wizard.core.lifecycle.instances import forget_gone

    if not args.dry_run:
        # A checkout that moved takes its entry (name, block of ports) along before anything is forgotten.
        notice_move(args)
    # Instances whose folder is gone and that left nothing behind free their names and ports first.
    forget_gone()
    stack = load(args)
    if args.instance and not args.dry_run:
        stack = name_instance(stack, args.instance)
    answers = collect_answers(stack, sets=args.sets, answers_file=args.answers)
    if interactive(args) and not args.dry_run:
        # The wizard asks, with these answers as its starting values, then calls initialize() too.
        given = {name: answer.value for name, answer in answers.items()}
        if use_tui(args):
            from wizard.tui.app import run_init_wizard

            return run_init_wizard(stack, answers=given)
        from wizard.frontends.prompts import run_prompts

        return run_prompts(stack, answers=given)
    from wizard.core.values.demo import demo_secrets
    from wizard.core.values.secrets import rotation_set
    from wizard.frontends.init_result import render_init

    demo = [name for name in demo_secrets(stack) if name not in answers]
    replace = demo if args.replace_demo else []
    result = initialize(stack, answers, dry_run=args.dry_run, rotate=replace)
    frontend(args).show({**result.to_dict(), "demo_values": demo, "replaced_demo": replace},
                        lambda: render_init(result, demo, rotation_set(stack, replace) if replace else []))
    return 0


def name_instance(stack, name: str):
    """The stack as instance ``name`` (recorded for every later command), once the name is checked."""
    from dataclasses import replace

    from wizard.core.manifest.instance import INSTANCE_PATTERN, record
    from wizard.core.support import registry
    from wizard.core.support.errors import UsageError

    if not INSTANCE_PATTERN.match(name):
        raise UsageError(f"instance name {name!r} is not a valid compose project name",
                         "use lowercase letters, digits, '-' and '_', starting with a letter or digit")
    owner = registry.read().get(name)
    if owner is not None and owner.folder != str(stack.root):
        raise UsageError(f"instance name {name!r} belongs to {owner.folder}",
                         "choose another name, or run `launcher gc` if that folder is gone")
    record(stack.root, name)
    return replace(stack, instance=name)
