"""`launcher init`: resolve every secret and setting, write the env files.

Answers come from --set, LAUNCHER_<NAME> variables and --answers FILE; every
other value is the existing one, the default, or freshly generated. Nothing is
ever read from stdin here: the interactive front ends (Textual wizard,
questionary prompts) ask their questions and then call the same
``wizard.core.values.initialize`` with the answers.
"""

from __future__ import annotations

ORDER = 10


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
    from wizard.commands.context import interactive, load, print_json, use_tui
    from wizard.core.values import collect_answers, initialize

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
    from wizard.core.demo import demo_secrets
    from wizard.core.secrets import rotation_set

    demo = [name for name in demo_secrets(stack) if name not in answers]
    replace = demo if args.replace_demo else []
    result = initialize(stack, answers, dry_run=args.dry_run, rotate=replace)
    if args.json:
        print_json({**result.to_dict(), "demo_values": demo, "replaced_demo": replace})
    else:
        notice = render_demo(demo, rotation_set(stack, replace) if replace else [], result.dry_run)
        if notice:
            print(notice)
        print(render_result(result))
    return 0


def render_demo(demo: list[str], rotated: list[str], dry_run: bool) -> str:
    """One line per published demo secret: replaced, or kept with the command that replaces it."""
    lines = []
    for name in demo:
        if rotated:
            lines.append(f"{'would replace' if dry_run else 'replaced'} demo value of {name}")
        else:
            lines.append(f"demo value kept: {name} is a published sample value — "
                         "run `launcher init --replace-demo` to replace it")
    resigned = [name for name in rotated if name not in demo]
    if resigned:
        lines.append(f"{'would re-sign' if dry_run else 're-signed'}: {', '.join(resigned)}")
    return "\n".join(lines)


def render_result(result) -> str:
    """Plain lines: one per file, then which values were generated. Never a value."""
    verb = {"create": "created", "update": "updated", "chmod": "fixed mode of", "unchanged": "unchanged"}
    if result.dry_run:
        verb = {"create": "would create", "update": "would update", "chmod": "would fix mode of",
                "unchanged": "unchanged"}
    lines = []
    for change in result.changes:
        details = change.details()
        suffix = f" ({'; '.join(details)})" if details else ""
        lines.append(f"{verb[change.action]} {change.path}{suffix}")
    generated = result.generated
    if generated:
        lines.append(f"{'would generate' if result.dry_run else 'generated'}: {', '.join(generated)}")
    if not result.dry_run:
        lines.append("next: launcher up")
    return "\n".join(lines)
