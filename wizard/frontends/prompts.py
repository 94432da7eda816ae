"""`launcher init` as plain prompts (questionary), for --plain or a terminal Textual cannot use.

The same six steps as the Textual wizard over the same ``InitSession``: welcome,
services, ports and settings, secrets, data, review. Answers go through the
session to ``wizard.core.values.resolution.initialize``; "start now" renders the events of
``wizard.core.lifecycle.launch.up`` as plain lines. Ctrl-C or Escape at any question
leaves without writing anything.
"""

from __future__ import annotations

from typing import Any, Mapping

from wizard.core.support.errors import Cancelled
from wizard.core.lifecycle.initsession import InitSession
from wizard.core.manifest.kinds.settings import setting_kind
from wizard.frontends.words import PORT_STATES



def run_prompts(stack, *, answers: Mapping[str, str] | None = None, profiles=()) -> int:
    """Ask every step's questions, write the files, offer to start; returns the exit code."""
    session = InitSession.start(stack, profiles=list(profiles), answers=answers)
    welcome(session)
    services(session)
    settings(session)
    secrets(session)
    data(session)
    if not review(session):
        raise Cancelled("nothing was written", "run `launcher init` again when ready")
    if _ask(_questionary().confirm("Start the stack now?", default=True)):
        return start(session)
    return 0


def _questionary():
    import questionary

    return questionary


def _ask(question) -> Any:
    """The answer, or Cancelled when the user pressed Ctrl-C or Escape."""
    answer = question.ask()
    if answer is None:
        raise Cancelled("cancelled: nothing was written", "run `launcher init` again when ready")
    return answer


def say(text: str = "") -> None:
    print(text, flush=True)


# -- the steps ------------------------------------------------------------------------------


def welcome(session: InitSession) -> None:
    stack = session.stack
    say(f"Set up {stack.name}" + (f": {stack.description}" if stack.description else ""))
    say("This writes: " + ", ".join(session.outputs()))
    if session.existed:
        say("A setup exists already: a re-run keeps every value; only what you change here changes.")
    say()


def services(session: InitSession) -> None:
    say("Groups, in start order:")
    for group in session.groups():
        after = f" (after {', '.join(group.after)})" if group.after else ""
        say(f"  {'x' if group.skipped else '-'} {group.name}{after}: {group.description}")
        for path in group.missing:
            say(f"      needs {path}: missing, so the group is skipped")
    profiles = session.all_profiles()
    if profiles:
        questionary = _questionary()
        chosen = _ask(questionary.checkbox(
            "Optional profiles to enable when the stack starts from here:",
            choices=[questionary.Choice(f"{profile} ({group})", value=profile,
                                        checked=profile in session.profiles) for group, profile in profiles]))
        session.set_profiles(chosen)
    say()


def settings(session: InitSession) -> None:
    """Show every setting with the port checks; ask only for the ones the user wants to change
    (and for busy ports)."""
    questionary = _questionary()
    statuses = {status.setting: status for status in session.port_statuses()}
    say(f"Ports (checked on {session.ports_host()}) and settings:")
    for spec in session.stack.settings:
        status = statuses.get(spec.name)
        note = f"  [{PORT_STATES[status.status].plain}: {status.detail}]" if status else ""
        say(f"  {spec.name} = {session.settings.get(spec.name, '')}{note}")
    busy = [name for name, status in statuses.items() if status.status != "ok"]
    problems = session.setting_problems()
    wanted = list(dict.fromkeys(busy + list(problems)))
    if not wanted and _ask(questionary.confirm("Keep these values?", default=True)):
        say()
        return
    if not wanted or _ask(questionary.confirm("Change other settings as well?", default=False)):
        wanted += _ask(questionary.checkbox(
            "Which settings to change?", choices=[spec.name for spec in session.stack.settings
                                                  if spec.name not in wanted]))
    for name in wanted:
        ask_setting(session, name, statuses.get(name))
    say()


def ask_setting(session: InitSession, name: str, status=None) -> None:
    """One setting, validated by the core's rule; a port is checked again once answered."""
    questionary = _questionary()
    spec = next(spec for spec in session.stack.settings if spec.name == name)
    default = session.settings.get(name, "")
    if status is not None and status.status != "ok" and status.suggestion is not None:
        say(f"  {name} {default} is {status.status}: {status.detail}; {status.suggestion} is free")
        default = str(status.suggestion)
    label = f"{name} ({spec.description})" if spec.description else name
    kind = setting_kind(spec)
    choices = list(kind.choices or spec.choices)
    if choices:
        value = _ask(questionary.select(label, choices=choices,
                                        default=default if default in choices else choices[0]))
    else:
        from wizard.core.manifest.kinds.settings import validate_setting

        def valid(text: str) -> bool | str:
            try:
                validate_setting(spec, text)
            except ValueError as exc:
                return str(exc)
            return True

        value = _ask(questionary.text(label, default=default, validate=valid))
    session.set_setting(name, value)
    if kind.is_port:
        again = {item.setting: item for item in session.port_statuses()}[name]
        if again.status != "ok" and not _ask(questionary.confirm(
                f"Port {value} is {again.status} ({again.detail}). Keep it anyway?", default=False)):
            ask_setting(session, name, again)


def secrets(session: InitSession) -> None:
    from wizard.core.support.redact import mask

    questionary = _questionary()
    say("Secrets (new ones are generated now and written as they are):")
    for row in session.secrets():
        say(f"  {row.name:<28} {row.origin:<11} {mask(row.value)}  {row.description}")
    demo = session.demo_secrets()
    for name in demo:
        say(f"  demo value: {name} is a published sample value, known to anyone")
    if demo and _ask(questionary.confirm("Replace every demo value now (re-signing the keys that depend on them)?",
                                         default=True)):
        say(f"  replaced {', '.join(session.replace_demo())}")
    names = [row.name for row in session.secrets()]
    regenerate = _ask(questionary.checkbox("Regenerate any of them? (Enter for none)", choices=names))
    for name in regenerate:
        if session.replaces_existing(name) and not _ask(questionary.confirm(
                f"{name} already has a value a running stack may use. Replace it?", default=False)):
            continue
        changed = session.regenerate(name)
        say(f"  regenerated {', '.join(changed)}")
    if _ask(questionary.confirm("Show the secret values on screen?", default=False)):
        for row in session.secrets():
            say(f"  {row.name}={row.value}")
    say()


def data(session: InitSession) -> None:
    questionary = _questionary()
    if session.has_mongo():
        while True:
            uri = _ask(questionary.password(
                "MongoDB URI to copy data from once the stack is up (never written; empty: none):"))
            problem = session.set_mongo_source(uri)
            if problem and uri.strip().startswith(("mongodb://", "mongodb+srv://")):
                # The URI names no database: ask which one.
                problem = session.set_mongo_source(uri, _ask(questionary.text("Database to copy:")))
            if not problem:
                break
            say(f"  {problem}")
    for seeds in session.seed_lists():
        say(f"{seeds.kind} step {seeds.step} ({seeds.folder}): "
            + (seeds.problem or (", ".join(seeds.files) if seeds.files else "no seed files")))
    say()


def review(session: InitSession) -> bool:
    """Show what writing does, ask, write; True once written."""
    from wizard.frontends.init_result import render_result

    preview = session.preview()
    say("Review:")
    say("\n".join(f"  {line}" for line in render_result(preview).splitlines()))
    for name, (before, after) in session.changed_settings().items():
        say(f"  {name}: {before or '(empty)'} -> {after or '(empty)'}")
    if not _ask(_questionary().confirm("Write these files?", default=True)):
        return False
    say(render_result(session.write()))
    return True


def start(session: InitSession) -> int:
    """Start the stack as `launcher up` does, rendered as plain lines (and the one-time Mongo copy)."""
    from wizard.core.lifecycle.launch import up
    from wizard.frontends.images import ProgressLines

    lines = ProgressLines().lines
    for events in (up(session.stack, profiles=session.profiles), session.mongo_copy()):
        for event in events or ():
            for line in lines(event):
                say(line)
    return 0
