"""`launcher plan`: the order groups start in, where init steps run, and what `up` would change now;
or (--format mermaid) the stack's groups, services and steps as a graph to draw."""

from __future__ import annotations


def register(subparsers, common) -> None:
    parser = subparsers.add_parser("plan", parents=[common], help="show the start order (waves) and init steps")
    parser.add_argument("--only", action="append", default=[], metavar="GROUP",
                        help="just this group and what it comes after (repeatable)")
    parser.add_argument("--profile", action="append", default=[], metavar="NAME",
                        help="compose profile to enable (repeatable)")
    parser.add_argument("--format", choices=("text", "mermaid"), default="text",
                        help="text: waves and steps (default); mermaid: groups, services, depends_on and steps "
                        "as a mermaid flowchart, for a mermaid code block on GitHub or in the docs")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from wizard.commands.context import frontend, load
    from wizard.core.manifest.plan import build_plan, check_profiles
    from wizard.frontends.plain import render_plan

    stack = load(args)
    check_profiles(stack, args.profile)
    plan = build_plan(stack, only=args.only, profiles=args.profile)
    if args.format == "mermaid":
        return _mermaid(stack, plan, args)
    data, words = plan.to_dict(), [render_plan(plan)]
    if stack.compose_env_output and stack.compose_env_file.is_file():
        # The compose files can be read (interpolated) once `init` wrote their env file.
        from wizard.core.docker.composeengine import ComposeEngine
        from wizard.core.lifecycle.ordering import check_dependency_order

        engine = ComposeEngine(stack, profiles=args.profile)
        check_dependency_order(stack, engine.model())
        changes, why_not = _changes(stack, engine, args)
        if changes is not None:
            from wizard.frontends.changes import change_words

            data["changes"] = [change.to_dict() for change in changes]
            words += ["what `launcher up` would do now:", *(f"  {change_words(change)}" for change in changes)]
        else:
            words.append(f"what `launcher up` would do now: not known ({why_not})")
    frontend(args).show(data, lambda: "\n".join(words))
    return 0


def _mermaid(stack, plan, args) -> int:
    """The plan as a mermaid flowchart; each group's services once compose can read the files (after `init`)."""
    from wizard.commands.context import frontend
    from wizard.core.lifecycle.stackgraph import stack_graph
    from wizard.frontends.mermaid import render_mermaid

    model = None
    if stack.compose_env_output and stack.compose_env_file.is_file():
        from wizard.core.docker.composeengine import ComposeEngine
        from wizard.core.lifecycle.ordering import check_dependency_order

        model = ComposeEngine(stack, profiles=args.profile).model()
        check_dependency_order(stack, model)
    text = render_mermaid(stack_graph(stack, plan, model))
    frontend(args).show({"stack": plan.stack, "mermaid": text}, text)
    return 0


def _changes(stack, engine, args):
    """`up --dry-run`'s changes, or (None, why) when the engine or an image cannot tell."""
    from wizard.core.lifecycle.upchanges import dry_run
    from wizard.core.support.errors import DockerUnavailable, ImagesUnavailable
    from wizard.core.support.events import ServiceChange

    try:
        events = list(dry_run(stack, engine=engine, only=args.only, profiles=args.profile))
    except (DockerUnavailable, ImagesUnavailable) as error:
        return None, error.message
    return [event for event in events if isinstance(event, ServiceChange)], ""
