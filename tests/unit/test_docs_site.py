"""The documentation site builds strictly: `mkdocs build --strict` (mkdocs.yml) fails on a page left out
of the navigation, a link to a missing page or heading, an absolute link. A few seconds; the built site
goes to a temporary folder, never into the checkout."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.unit.docs_pages import REPO


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    # The theme's notice about its future is not a warning of this site (and --strict ignores it).
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                             str(REPO / "mkdocs.yml"), "--site-dir", str(site)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    for page in ("index.html", "manifest.html", "getting-started.html", "contributing/testbed.html"):
        assert (site / page).is_file(), page
    # Markdown that GitHub renders and Python-Markdown does not (a list right after a paragraph line,
    # a fence indented less than its list item's content) ends up as literal text in a paragraph.
    for page in site.rglob("*.html"):
        for paragraph in re.findall(r"<p>(.*?)</p>", page.read_text(encoding="utf-8"), re.S):
            assert not re.search(r"^(- |\d+\. |```)", paragraph, re.M), f"{page.name}: {paragraph[:200]}"
