"""`launcher export swarm DIR` and `launcher export kubernetes DIR`: the stack for a cluster.

Both print a translation report (what changed, what was dropped and why, what is
left to do by hand); --json prints it as one JSON document. The files hold secret
values, so they are written like the stack's own generated files (0600 in 0700).
"""

from __future__ import annotations

TARGETS = ("swarm", "kubernetes")


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "export", parents=[common], help="write Swarm stack files or Kubernetes manifests for this stack",
        description="Translate the stack (active profiles resolved, groups in plan order) for Docker Swarm "
        "(one stack file per group) or Kubernetes (manifests and a kustomization.yaml), and report "
        "what was translated, dropped and left to do by hand.")
    parser.add_argument("target", choices=TARGETS, help="where the stack is going")
    parser.add_argument("folder", metavar="DIR", help="folder to write (created 0700; files 0600)")
    parser.add_argument("--profile", action="append", default=[], metavar="NAME",
                        help="compose profile to enable (repeatable; default: COMPOSE_PROFILES of the env file)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from pathlib import Path

    from wizard.commands.context import frontend, load
    from wizard.core.export.bundle import render_kubernetes, write_files
    from wizard.core.export.source import load_source
    from wizard.frontends.report import render_report

    stack = load(args)
    source = load_source(stack, profiles=args.profile)
    if args.target == "kubernetes":
        texts, report = render_kubernetes(source)
    else:
        from wizard.core.export.swarmfile import export_todos, render_swarm

        texts, objects, report = render_swarm(source)
        export_todos(source, objects, report)
    folder = Path(args.folder)
    write_files(folder, texts)
    frontend(args).show({"target": args.target, "folder": str(folder), **report.to_dict()},
                        lambda: render_report(report, str(folder)))
    return 0
