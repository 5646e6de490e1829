"""`make docs`: dbt's docs site as one HTML file that loads nothing from the network, with
every mart and exposure rendered when Chromium opens it from disk without a network."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.defs.dbt import dbt_executable, mart_model_names
from orchestration.publishing.docs_site import offline_problems, publish_docs_site, remote_loads
from orchestration.settings import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")


def test_remote_loads_are_fetches_not_links():
    html = (
        '<script src="https://cdn.example/app.js"></script>'
        "<link rel=stylesheet href='//fonts.example/css?family=Inter'>"
        '<style>@import url("https://fonts.example/a.css");'
        "b { background: url(//img.example/b.png) }</style>"
        '<a href="https://docs.getdbt.com/docs/introduction">docs</a>'
        '<script src="app.js"></script><img src="data:image/png;base64,AAAA">'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    )
    assert remote_loads(html) == [
        "//fonts.example/css?family=Inter",
        "//img.example/b.png",
        "https://cdn.example/app.js",
        "https://fonts.example/a.css",
    ]


def test_a_page_that_would_track_or_load_remotely_is_refused(tmp_path: Path):
    page = tmp_path / "static_index.html"
    page.write_text('<script>var m = {"send_anonymous_usage_stats": true};</script>')
    assert len(offline_problems(page.read_text())) == 1
    with pytest.raises(ValueError, match=r"static_index.html would reach the network.*Snowplow"):
        publish_docs_site(page, tmp_path / "site")
    assert not (tmp_path / "site" / "index.html").exists()
    page.write_text('<script>var m = {"send_anonymous_usage_stats": false};</script>')
    assert publish_docs_site(page, tmp_path / "site").read_text() == page.read_text()
    with pytest.raises(FileNotFoundError, match="dbt docs generate --static"):
        publish_docs_site(tmp_path / "missing.html", tmp_path / "site")


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make docs` builds when there is no warehouse (an empty catalog)."""
    target = tmp_path_factory.mktemp("docs_target")
    subprocess.run(
        [
            dbt_executable(),
            "--no-send-anonymous-usage-stats",
            "--quiet",
            "docs",
            "generate",
            "--profiles-dir",
            ".",
            "--static",
            "--empty-catalog",
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"warehouse_path": ":memory:"}),
        ],
        cwd=REPO_ROOT / "dbt_project",
        check=True,
    )
    site = tmp_path_factory.mktemp("docs")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.publishing.docs_site",
            target / "static_index.html",
            site,
        ],
        cwd=REPO_ROOT,
        check=True,
    )
    return site / "index.html"


def test_the_generated_site_is_one_file_without_tracking(docs_site: Path):
    html = docs_site.read_text()
    assert offline_problems(html) == []
    assert '"send_anonymous_usage_stats": false' in html
    assert "mart_relationship_kpis" in html  # the manifest travels inside the page


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (Debian: chromium)")
def test_chromium_without_network_renders_every_mart_and_exposure(docs_site: Path, tmp_path: Path):
    dom = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            # Every host name fails to resolve: a page that needed the web would break.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=15000",
            "--dump-dom",
            docs_site.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    # The app builds the navigation tree in the browser: one entry per node it rendered.
    rendered = set(re.findall(r'data-nav-unique-id="([^"]+)"', dom))
    assert not re.search(r'data-nav-unique-id="model\.', docs_site.read_text())
    marts = {f"model.relationship_analytics.{name}" for name in mart_model_names()}
    assert marts <= rendered
    exposures = {
        "exposure.relationship_analytics.dashboards",
        "exposure.relationship_analytics.bi_file",
        "exposure.relationship_analytics.customer_response_times_notebook",
        "exposure.relationship_analytics.pipeline_relationship_health_notebook",
    }
    assert exposures <= rendered
    # Nothing remote was injected while the app ran (with tracking on, Snowplow's script).
    assert remote_loads(dom) == []
