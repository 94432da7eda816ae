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
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import frontend, interactive, load, use_tui
    from wizard.core.values.resolution import collect_answers, initialize

    stack = load(args)
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
