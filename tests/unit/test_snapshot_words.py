"""What `snapshot` and `reset` print: percentage lines, the list table, the interrupted restore."""

from __future__ import annotations

from wizard.core.support.events import Finished
from wizard.core.snapshots.events import GroupsCleared, PartDone, PartProgress, RestoreInterrupted, SnapshotsPruned
from wizard.frontends.snapshots import last_snapshot_line, render_list, render_snapshot_event, size_text, verify_line


def test_progress_is_percentage_lines_and_json_events():
    assert render_snapshot_event(PartProgress(action="save", part="a.tar", percent=5, done=0)) == [
        "[  5%] saving a.tar"]
    assert render_snapshot_event(PartProgress(action="restore", part="a.tar", percent=40, done=2_500_000)) == [
        "[ 40%] restoring a.tar (2.5 MB)"]
    assert render_snapshot_event(PartDone(action="save", part="a.tar", percent=100, size=1234)) == [
        "[100%] a.tar: 1.2 kB saved"]
    assert PartDone(action="save", part="a.tar", percent=100, size=1).to_dict() == {
        "event": "part-done", "action": "save", "part": "a.tar", "percent": 100, "size": 1}
    assert verify_line(50, 200) == "[ 25%] verifying checksums (50 B of 200 B)"
    assert size_text(3_400_000_000) == "3.4 GB"


def test_save_reset_and_interrupted_restore_say_what_happened():
    finished = Finished(ok=True, elapsed=2.0, details={"name": "n", "path": "/p/n", "size": 2000, "parts": ["a", "b"],
                                                       "encrypted": True})
    assert render_snapshot_event(finished, verb="save") == ["snapshot n saved in /p/n (2.0 kB, 2 parts, encrypted, 2.0s)"]
    assert render_snapshot_event(SnapshotsPruned(names=("old",))) == ["removed old snapshot(s): old"]
    assert render_snapshot_event(GroupsCleared(groups=("db",), containers=1, volumes=("p_pgdata",))) == [
        "removed 1 container(s) and 1 volume(s) of db: p_pgdata"]
    lines = render_snapshot_event(RestoreInterrupted(states={"a.dump": "restored", "b.tar": "in progress"},
                                                     snapshot="s1"))
    assert lines[1:3] == ["  a.dump: restored", "  b.tar: in progress"]
    assert "`launcher snapshot restore s1` again" in lines[-1]


def test_the_list_and_the_status_line():
    table = render_list([{"name": "s1", "created": "2026-01-01T00:00:00+00:00", "size": 1500, "parts": ["a"],
                          "encrypted": False}, {"name": "bad", "problem": "not valid JSON"}])
    assert table.splitlines()[0].split() == ["NAME", "WHEN", "SIZE", "PARTS", "ENCRYPTED"]
    assert table.splitlines()[1].split() == ["s1", "2026-01-01T00:00:00+00:00", "1.5", "kB", "1", "no"]
    assert "INVALID: not valid JSON" in table.splitlines()[2]
    assert render_list([]).startswith("no snapshots yet")
    assert last_snapshot_line(None) == "last snapshot: none yet (`launcher snapshot save`)"
    assert last_snapshot_line({"name": "s1", "created": "T"}) == "last snapshot: s1, taken T"


def test_ctrl_c_while_an_event_is_printed_still_reaches_the_restore(capsys):
    from argparse import Namespace

    import pytest

    from wizard.commands.snapshot import emit

    def restore():
        try:
            yield PartProgress(action="restore", part="a.tar", percent=0, done=0)
            yield PartProgress(action="restore", part="a.tar", percent=50, done=1)
        except KeyboardInterrupt:
            yield RestoreInterrupted(states={"a.tar": "in progress"}, snapshot="s1")
            raise

    printed = []

    def interrupt_first_print(*args, **kwargs):
        printed.append(args)
        if len(printed) == 1:
            raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("builtins.print", interrupt_first_print)
        with pytest.raises(KeyboardInterrupt):
            emit(Namespace(json=False, non_interactive=True, plain=True), restore(), verb="restore")
    shown = [args[0] for args in printed]
    assert shown[0] == "[  0%] restoring a.tar"
    assert shown[1] == "restore of snapshot s1 interrupted; where each part stands:"
    assert "  a.tar: in progress" in shown


def test_a_terminal_gets_a_bar_per_part_and_the_other_events_as_lines():
    import io

    from rich.console import Console

    from wizard.frontends.snapshots import ProgressBars

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with ProgressBars("restore", console=console) as bars:
        bars.show(PartProgress(action="restore", part="a.dump", percent=0, done=0, total=2_000_000))
        bars.show(PartProgress(action="restore", part="a.dump", percent=50, done=1_000_000, total=2_000_000))
        bars.show(PartDone(action="restore", part="a.dump", percent=100, size=2_000_000))
        bars.show(SnapshotsPruned(names=("old",)))
    text = out.getvalue()
    assert "restoring a.dump" in text and "2.0/2.0 MB" in text
    assert "removed old snapshot(s): old" in text
    assert [task.completed for task in bars.progress.tasks] == [2_000_000]
