"""compose/volumes/kong-entrypoint.sh writes Kong's declarative config from kong.yml.

Run in the local busybox image: its awk and sh are the busybox ones the kong:2.8.1
(alpine) image has. Kong itself is replaced by a script that prints the written
config, since the Kong image cannot be pulled here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

VOLUMES = Path(__file__).resolve().parents[2] / "compose" / "volumes"

# Characters that broke upstream's former `eval echo` rendering or would be special to
# sed or awk replacements: none of them may change or run anything.
TRICKY = "a&b\\c$(echo INJECTED)`echo TICK`%s/x\"q"


def render(docker_client, images, tmp_path: Path, environment: dict[str, str]) -> str:
    fake_kong = tmp_path / "docker-entrypoint.sh"
    fake_kong.write_text('#!/bin/sh\necho "args: $*"\ncat "$KONG_DECLARATIVE_CONFIG"\n')
    fake_kong.chmod(0o755)
    output = docker_client.containers.run(
        images["busybox"],
        ["sh", "/home/kong/kong-entrypoint.sh"],
        environment={"KONG_DECLARATIVE_CONFIG": "/tmp/kong.yml", **environment},
        volumes={
            str(VOLUMES / "kong.yml"): {"bind": "/home/kong/temp.yml", "mode": "ro"},
            str(VOLUMES / "kong-entrypoint.sh"): {"bind": "/home/kong/kong-entrypoint.sh", "mode": "ro"},
            str(fake_kong): {"bind": "/docker-entrypoint.sh", "mode": "ro"},
        },
        network_mode="none",
        remove=True,
    )
    return output.decode()


def test_entrypoint_fills_in_keys_and_login_verbatim(docker_client, images, tmp_path):
    values = {
        "SUPABASE_ANON_KEY": "anon." + TRICKY,
        "SUPABASE_SERVICE_KEY": "service." + TRICKY,
        "DASHBOARD_USERNAME": "supabase",
        "DASHBOARD_PASSWORD": "pw." + TRICKY,
    }
    config = render(docker_client, images, tmp_path, values)
    lines = config.splitlines()
    assert lines[0] == "args: kong docker-start"  # then hands over to Kong's own entrypoint
    assert f"      - key: '{values['SUPABASE_ANON_KEY']}'" in lines
    assert f"      - key: '{values['SUPABASE_SERVICE_KEY']}'" in lines
    assert "    username: 'supabase'" in lines
    assert f"    password: '{values['DASHBOARD_PASSWORD']}'" in lines
    assert "$SUPABASE" not in config and "$DASHBOARD" not in config
    # Nothing in a value was run: the command substitutions are still literal text.
    assert "INJECTED" not in config.replace("$(echo INJECTED)", "")
    assert "TICK" not in config.replace("`echo TICK`", "")


def test_entrypoint_leaves_the_rest_of_the_file_alone(docker_client, images, tmp_path):
    values = {"SUPABASE_ANON_KEY": "A", "SUPABASE_SERVICE_KEY": "S", "DASHBOARD_USERNAME": "U",
              "DASHBOARD_PASSWORD": "P"}
    config = render(docker_client, images, tmp_path, values)
    template = (VOLUMES / "kong.yml").read_text()
    expected = (template.replace("$SUPABASE_ANON_KEY", "A").replace("$SUPABASE_SERVICE_KEY", "S")
                .replace("$DASHBOARD_USERNAME", "U").replace("$DASHBOARD_PASSWORD", "P"))
    assert config.split("\n", 1)[1] == expected
