"""The dbt docs site as one offline file: checked, then put where `make docs` promises.

`dbt docs generate --static` writes target/static_index.html, the whole site (the app,
the manifest and the catalog) in one HTML file that opens from disk. The page dbt ships
loads nothing from the web by itself, except one thing: when the manifest says
`send_anonymous_usage_stats: true` (dbt's default), the page injects Snowplow's tracker,
`<script src="//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js">`, and reports page views. From
file:// that protocol-relative address goes nowhere; served over http(s) it loads from a
CDN. `make docs` therefore generates with `--no-send-anonymous-usage-stats`, and this
module refuses a page that would still track or that names a script, stylesheet, font or
image on another host, so the site works on a machine without internet and tells no one
it was opened.

Usage (the Makefile's `docs` target): python -m orchestration.publishing.docs_site
<static_index.html> <folder>; writes <folder>/index.html, or exits 1 naming the file and
every remote address it found.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

# What a browser fetches by itself: src of script/img/iframe/audio/video/source/embed, the
# href of <link> (stylesheets, fonts, icons, preloads), and url(...) / @import in CSS.
# Anchors (<a href>) are links a reader may follow, not loads, and are allowed.
_REMOTE = r"(?:https?:)?//[^\s\"'<>()]+"
_LOADS = (
    re.compile(
        rf"<(?:script|img|iframe|audio|video|source|embed)\b[^>]*?\bsrc\s*=\s*[\"']?({_REMOTE})",
        re.IGNORECASE,
    ),
    re.compile(rf"<link\b[^>]*?\bhref\s*=\s*[\"']?({_REMOTE})", re.IGNORECASE),
    re.compile(rf"url\(\s*[\"']?({_REMOTE})", re.IGNORECASE),
    re.compile(rf"@import\s+(?:url\()?\s*[\"']?({_REMOTE})", re.IGNORECASE),
)
# The manifest embedded in the page: tracking on makes the app inject Snowplow's script.
_TRACKING_ON = re.compile(r'"send_anonymous_usage_stats"\s*:\s*true')
# The Snowplow loader inside dbt's app builds its <script> in JavaScript; its address is a
# string, not a tag, so the patterns above do not see it.
_TRACKER_ADDRESS = "d1fc8wv8zag5ca.cloudfront.net"


def remote_loads(html: str) -> list[str]:
    """Addresses on other hosts that the page's markup or CSS would fetch, sorted, unique.

    '<script src="https://cdn.example/app.js">' -> ['https://cdn.example/app.js'];
    '<a href="https://docs.getdbt.com">' -> [] (a link, not a load).
    """
    return sorted({match.group(1) for pattern in _LOADS for match in pattern.finditer(html)})


def offline_problems(html: str) -> list[str]:
    """Why the page is not self-contained: remote loads, and tracking switched on."""
    problems = [f"loads {address}" for address in remote_loads(html)]
    if _TRACKING_ON.search(html):
        problems.append(
            "its manifest has send_anonymous_usage_stats: true, so the page injects "
            f"Snowplow's tracker from {_TRACKER_ADDRESS}; generate with "
            "`dbt --no-send-anonymous-usage-stats docs generate --static`"
        )
    return problems


def publish_docs_site(static_index: Path, folder: Path) -> Path:
    """Check dbt's static page and copy it to <folder>/index.html (renamed into place).

    ValueError naming the file and each problem when the page would reach the network;
    FileNotFoundError when dbt wrote no page (run `dbt docs generate --static` first).
    """
    if not static_index.exists():
        raise FileNotFoundError(
            f"{static_index} does not exist: run `dbt docs generate --static` in dbt_project "
            "first (`make docs` does both)"
        )
    html = static_index.read_text(encoding="utf-8")
    problems = offline_problems(html)
    if problems:
        raise ValueError(
            f"{static_index} would reach the network when opened: " + "; ".join(problems)
        )
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / "index.html"
    temporary = folder / ".index.html.tmp"
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, final)
    return final


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m orchestration.publishing.docs_site <static_index.html> <folder>")
        return 2
    try:
        page = publish_docs_site(Path(argv[0]), Path(argv[1]))
    except (ValueError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"dbt docs site (offline, one file): {page.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
