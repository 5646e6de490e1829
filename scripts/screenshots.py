"""Screenshots of the dashboards for review: the index, one owner page and one unit page.

Bench-style helper, outside the Dagster code location. Reads a built export folder
(default `exports/`, as `make run` writes it) and writes PNGs with headless Chromium,
offline from file://, into `test-artifacts/screenshots/` (committed, so a reviewer sees
the pages without building them):

    .venv/bin/python scripts/screenshots.py [EXPORT_DIR] [OUT_DIR]

The owner and unit shown are the first page of each folder in name order, so a rebuild
of the same input shows the same team. Exits 1 naming what is missing when the export
has no dashboards or no team pages, or when Chromium is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "chromium"
# The index at the brief's 1280 x 1600; team pages taller, so the going-dark list shows.
WINDOWS = {"index": "1280,1600", "owner": "1280,3000", "business-unit": "1280,3400"}


def pages_to_shoot(dashboards: Path) -> dict[str, Path]:
    """{screenshot name: page} for the index, the first owner page and the first unit page."""
    pages = {"index": dashboards / "index.html"}
    for name, folder in (("owner", "owners"), ("business-unit", "units")):
        found = sorted((dashboards / folder).glob("*.html"))
        if not found:
            raise SystemExit(
                f"{dashboards / folder}: no page; build the exports with the team marts "
                "(make run) first"
            )
        pages[name] = found[0]
    if not pages["index"].exists():
        raise SystemExit(f"{pages['index']}: missing; build the exports (make run) first")
    return pages


def screenshot(binary: str, page: Path, target: Path, window: str) -> None:
    """One PNG of `page` at `window` ("width,height" CSS pixels), with a fresh, empty profile."""
    profile = Path(tempfile.mkdtemp(prefix="screenshots-profile-"))
    try:
        subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={target}",
                f"--window-size={window}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    export_dir = Path(argv[1]) if len(argv) > 1 else REPO_ROOT / "exports"
    out_dir = Path(argv[2]) if len(argv) > 2 else REPO_ROOT / "test-artifacts" / "screenshots"
    binary = shutil.which(CHROMIUM)
    if binary is None:
        print("chromium is not installed (Debian package `chromium`)", file=sys.stderr)
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, page in pages_to_shoot(export_dir / "dashboards").items():
        target = out_dir / f"{name}.png"
        screenshot(binary, page, target, WINDOWS[name])
        print(f"{target}: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
