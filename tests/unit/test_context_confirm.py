"""context.confirm: the one question asked before rotate, down --volumes and seed mongo --replace."""

from __future__ import annotations

import io
from argparse import Namespace

import pytest

from wizard.commands import context
from wizard.core.support.errors import Cancelled


def args(**flags) -> Namespace:
    return Namespace(non_interactive=False, json=False, yes=False, **flags)


def test_yes_goes_ahead_without_asking(monkeypatch, capsys):
    monkeypatch.setattr(context, "interactive", lambda _args: pytest.fail("asked although --yes"))
    context.confirm(Namespace(yes=True), "drop everything", declined_hint="-")
    assert capsys.readouterr() == ("", "")


def test_nobody_to_ask_is_cancelled_with_the_flag_to_pass(monkeypatch):
    monkeypatch.setattr(context, "interactive", lambda _args: False)
    with pytest.raises(Cancelled) as refused:
        context.confirm(args(), "drop everything", declined_hint="-")
    assert refused.value.message == "not confirmed: drop everything"
    assert "--yes" in refused.value.hint


@pytest.mark.parametrize("answer, goes_ahead", [("y\n", True), ("YES\n", True), ("n\n", False), ("\n", False),
                                                ("", False)])
def test_the_answer_decides_and_the_question_goes_to_stderr(monkeypatch, capsys, answer, goes_ahead):
    monkeypatch.setattr(context, "interactive", lambda _args: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    if goes_ahead:
        context.confirm(args(), "drop everything", declined_hint="nothing was dropped")
    else:
        with pytest.raises(Cancelled) as declined:
            context.confirm(args(), "drop everything", declined_hint="nothing was dropped")
        assert declined.value.hint == "nothing was dropped"
    out, err = capsys.readouterr()
    assert out == "" and err == "Drop everything? [y/N] "
