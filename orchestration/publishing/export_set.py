"""Publishing a run's exports as one set: marts, manifest, BI file and dashboards together.

A run writes everything into $RA_EXPORT_DIR/.staging/<version>/, then publishes it:

    exports/
      .versions/<version>/          one whole set: marts/ manifest.json
                                    relationship_marts.duckdb dashboards/
      current -> .versions/<version>
      marts -> current/marts                                 (the documented paths,
      manifest.json -> current/manifest.json                  fixed symlinks through
      relationship_marts.duckdb -> current/relationship_marts.duckdb   `current`)
      dashboards -> current/dashboards

Two directory renames are not atomic as a pair on POSIX, but one rename is: publishing
replaces the symlink `current` with `os.replace` of a new symlink, so every path opened
after that instant belongs to the new set and every path opened before to the old one. A
reader that needs several files of one set resolves `current` once (`realpath`) and reads
from the folder it names. The previous set stays on disk (a BI tool may hold its file
open); older ones, staging folders of runs that died, and leftovers of an interrupted
publication are removed by the next publication.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

STAGING_DIR = ".staging"
VERSIONS_DIR = ".versions"
CURRENT_LINK = "current"
# The documented paths, each a symlink into `current`.
PUBLISHED_NAMES = ("marts", "manifest.json", "relationship_marts.duckdb", "dashboards")
# Hidden names at the top of exports/ left by an interrupted publication (.retired-, .link-)
# or by the exports of earlier versions, which wrote in place (.tmp, .tmp-, .old-).
LEFTOVER_MARKS = (".retired-", ".link-", ".tmp", ".old-")


def new_version(run_id: str, now: datetime | None = None) -> str:
    """A sortable, unique folder name: '20260630T050000Z-<first 8 characters of run id>'."""
    moment = now or datetime.now(UTC)
    return f"{moment.strftime('%Y%m%dT%H%M%SZ')}-{(run_id or uuid.uuid4().hex)[:8]}"


def current_version(export_dir: Path) -> Path | None:
    """The folder of the published set, or None before the first publication."""
    link = export_dir / CURRENT_LINK
    if not link.is_symlink():
        return None
    return (export_dir / os.readlink(link)).resolve()


@contextmanager
def staged_set(export_dir: Path, version: str) -> Iterator[Path]:
    """A fresh folder to write one set into; removed if the block fails.

    Staging folders of earlier runs that died are removed first: exports run in the
    warehouse pool (one at a time), so no other run is writing one.
    """
    staging_root = export_dir / STAGING_DIR
    shutil.rmtree(staging_root, ignore_errors=True)
    staging = staging_root / version
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging_root, ignore_errors=True)
        raise


def _replace_with_symlink(path: Path, target: str) -> None:
    """Point `path` at `target` in one rename (a reader sees the old link or the new)."""
    temporary = path.with_name(f".{path.name}.link-{uuid.uuid4().hex[:8]}")
    os.symlink(target, temporary)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _link_published_names(export_dir: Path) -> None:
    """Make each documented path a symlink through `current` (once; they never change).

    Exports written before sets existed are real files and folders at these paths: they are
    moved aside (a rename each) and removed, the only moment a path is briefly missing.
    """
    for name in PUBLISHED_NAMES:
        path = export_dir / name
        target = f"{CURRENT_LINK}/{name}"
        if path.is_symlink() and os.readlink(path) == target:
            continue
        if path.exists() and not path.is_symlink():
            retired = export_dir / f".{name}.retired-{uuid.uuid4().hex[:8]}"
            os.replace(path, retired)
        _replace_with_symlink(path, target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def publish(export_dir: Path, staging: Path) -> Path:
    """Make the staged set the published one; return its folder under .versions/.

    Keeps the new set and the one it replaces; removes older sets, the staging area and
    leftovers of interrupted publications.
    """
    versions = export_dir / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    version = versions / staging.name
    os.replace(staging, version)
    previous = current_version(export_dir)
    _replace_with_symlink(export_dir / CURRENT_LINK, f"{VERSIONS_DIR}/{version.name}")
    _link_published_names(export_dir)
    keep = {version.resolve(), previous}
    for old in versions.iterdir():
        if old.resolve() not in keep:
            _remove(old)
    _remove(export_dir / STAGING_DIR)
    for leftover in export_dir.glob(".*"):
        if any(mark in leftover.name for mark in LEFTOVER_MARKS):
            _remove(leftover)
    return version


def remove_unpublished_sets(export_dir: Path) -> list[Path]:
    """Remove every set under .versions/ but the published one; return those removed.

    `publish` keeps the previous set for readers that still hold it open; an erasure
    (docs/privacy.md) cannot, since that set still names the person erased.
    """
    current = current_version(export_dir)
    versions = export_dir / VERSIONS_DIR
    removed = []
    if current is not None and versions.is_dir():
        for old in sorted(versions.iterdir()):
            if old.resolve() != current:
                _remove(old)
                removed.append(old)
    return removed
