"""`launcher plan --format mermaid`: groups in waves, services and depends_on, steps; names that
cannot break the graph."""

from __future__ import annotations

import json
import re

from tests.unit.manifest_factory import groups_manifest, write_stack
from wizard.core.docker.model import ComposeModel, ServiceSpec
from wizard.core.lifecycle.stackgraph import stack_graph
from wizard.core.manifest.plan import build_plan
from wizard.core.manifest.stack import load_stack
from wizard.frontends.mermaid import render_mermaid

STEP = '''
[steps.{key}]
kind = "postgres-seeds"
after = "{after}"
dsn = "postgresql://x"
dir = "seeds"
'''
# A quoted label: no raw quote, '#' only in an entity code, no markup but the label's own line break.
LABEL = r'"(?:[^"#<>&`\\\n]|#\d+;|<br/>)*"'
STATEMENTS = [r"flowchart LR", r"  %% [^\n]*",
              rf"  (group|step)\d+(\[{LABEL}\]|\{{\{{{LABEL}\}}\}})", rf"  subgraph group\d+\[{LABEL}\]",
              rf"    service\d+(\[{LABEL}\]|\(\[{LABEL}\]\))", r"  end",
              r"  (group|service)\d+ (-->|-\.->) (group|service|step)\d+",
              r"  classDef skipped stroke-dasharray: 5 5", r"  class ((group|step)\d+,)*(group|step)\d+ skipped"]


def stack_of(tmp_path, edges, extra=""):
    return load_stack(write_stack(tmp_path, groups_manifest(edges) + extra,
                                  compose=tuple(f"compose/{g}.yml" for g in edges)))


def mermaid(stack, model=None) -> str:
    return render_mermaid(stack_graph(stack, build_plan(stack), model))


def assert_well_formed(text: str) -> None:
    """Every line is one of the statements the renderer writes, each label properly quoted."""
    for line in text.splitlines():
        assert any(re.fullmatch(statement, line) for statement in STATEMENTS), line


def labels(text: str) -> list[str]:
    """The labels as mermaid shows them: entity codes decoded, a line break as a newline."""
    return [re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), raw).replace("<br/>", "\n")
            for raw in re.findall(r'"((?:[^"])*)"', text)]


def test_groups_in_waves_with_their_steps(tmp_path):
    stack = stack_of(tmp_path, {"db": [], "cache": [], "app": ["db", "cache"]}, STEP.format(key="schema", after="db"))
    assert mermaid(stack).splitlines() == [
        "flowchart LR",
        "  %% stack demo: what starts first on the left",
        '  group1["db<br/>wave 1"]',
        '  group2["cache<br/>wave 1"]',
        '  group3["app<br/>wave 2"]',
        '  step1{{"schema<br/>postgres-seeds"}}',
        "  group1 --> group3",
        "  group2 --> group3",
        "  group1 --> step1",
    ]


def test_a_skipped_group_is_drawn_dashed_with_the_reason(tmp_path):
    stack_of(tmp_path, {"db": [], "app": ["db"]}, STEP.format(key="seed", after="app"))
    manifest = tmp_path / "stack.toml"
    manifest.write_text(manifest.read_text().replace("[groups.app]\n", '[groups.app]\nrequires_paths = ["src"]\n'))
    text = mermaid(load_stack(manifest))
    assert '  group2["app<br/>skipped: missing ./src (requires_paths)"]' in text.splitlines()
    assert text.splitlines()[-2:] == ["  classDef skipped stroke-dasharray: 5 5", "  class group2,step1 skipped"]
    assert_well_formed(text)


def test_services_and_depends_on_inside_their_groups(tmp_path):
    stack = stack_of(tmp_path, {"db": [], "app": ["db"]})
    model = ComposeModel((
        ServiceSpec("postgres", "db"),
        ServiceSpec("migrate", "db", oneshot=True, depends_on=("postgres",)),
        ServiceSpec("api", "app", depends_on=("postgres", "migrate", "cache"), optional_deps=("migrate",)),
    ))
    lines = mermaid(stack, model).splitlines()
    assert lines[2:10] == [
        '  subgraph group1["db<br/>wave 1"]', '    service1["postgres"]', '    service2(["migrate"])', "  end",
        '  subgraph group2["app<br/>wave 2"]', '    service3["api"]', "  end", "  group1 --> group2"]
    # "cache" is in no profile enabled today: no edge to a node that is not drawn.
    assert lines[10:] == ["  service1 --> service2", "  service1 --> service3", "  service2 -.-> service3"]


def test_odd_names_stay_labels(tmp_path):
    odd_service = 'we"b]--> end; click x call alert(1) %%'
    odd_step = 'seed "#quot;" <b>bold</b> & `code` \\ {{x}}\nsecond line'
    stack = stack_of(tmp_path, {"end": [], "subgraph": ["end"]},
                     STEP.format(key=json.dumps(odd_step), after="end"))
    model = ComposeModel((ServiceSpec(odd_service, "end"), ServiceSpec("x", "subgraph", depends_on=(odd_service,))))
    text = mermaid(stack, model)
    assert_well_formed(text)
    assert odd_service in labels(text)
    assert f"{odd_step.replace(chr(10), ' ')}\npostgres-seeds" in labels(text)
    assert "end<br/>wave 1" in text and "  service1 --> service2" in text.splitlines()


def test_the_command_prints_the_graph(tmp_path, run_launcher):
    write_stack(tmp_path, groups_manifest({"db": [], "app": ["db"]}), compose=("compose/db.yml", "compose/app.yml"))
    result = run_launcher("plan", "--format", "mermaid", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "flowchart LR" and "  group1 --> group2" in result.stdout.splitlines()
    result = run_launcher("plan", "--format", "mermaid", "--json", cwd=tmp_path)
    assert json.loads(result.stdout)["mermaid"].startswith("flowchart LR\n")
