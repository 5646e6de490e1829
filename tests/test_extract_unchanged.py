"""An extract skips a table whose landing files are unchanged since its last committed load.

Two tables, `phonecall` and `systemuser`, land as CSV. Between runs the test writes a
marker straight into raw (`subject` or `fullname` = 'kept in raw'): a table the next run
skips still shows the marker, a table it reloads shows the landing file's value again.
Every expected value is written in the test itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.resources import connect_warehouse
from orchestration.sources.files import find_landing_files
from orchestration.sources.landing_fingerprint import (
    code_fingerprint,
    file_identity,
    landing_fingerprint,
)
from tests.test_extract_files import query, row, write_csv
from tests.test_raw_swap import environment, materialize  # noqa: F401 (a fixture)

MARKER = "kept in raw"


def write_phonecall(landing: Path, subject: str) -> Path:
    return write_csv(
        landing / "phonecall.csv", [row("phonecall", activityid="p1", subject=subject)]
    )


def write_systemuser(landing: Path, fullname: str, isdisabled: str = "false") -> Path:
    return write_csv(
        landing / "systemuser.csv",
        [row("systemuser", systemuserid="u1", fullname=fullname, isdisabled=isdisabled)],
    )


def mark_raw(warehouse: Path) -> None:
    """What only a skipped table keeps: a value no landing file holds."""
    with connect_warehouse(warehouse) as connection:
        connection.execute(f"update raw.phonecall set subject = '{MARKER}'")
        connection.execute(f"update raw.systemuser set fullname = '{MARKER}'")


def raw_values(warehouse: Path) -> tuple[list[tuple], list[tuple]]:
    return (
        query(warehouse, "select activityid, subject from raw.phonecall"),
        query(warehouse, "select systemuserid, fullname from raw.systemuser"),
    )


def skipped(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    """{table: whether the run kept it as it was} from the run's materializations."""
    return {
        event.asset_key.path[-1]: bool(event.metadata.get("skipped_unchanged"))
        for event in result.asset_materializations_for_node("extract_raw")
    }


def test_an_unchanged_table_is_skipped_and_keeps_its_rows(
    environment: tuple[Path, Path],  # noqa: F811
) -> None:
    landing, warehouse = environment
    write_phonecall(landing, "first call")
    write_systemuser(landing, "Ann")
    assert skipped(materialize()) == {"phonecall": False, "systemuser": False}
    mark_raw(warehouse)

    write_phonecall(landing, "second call")  # systemuser.csv untouched
    result = materialize()

    assert result.success
    assert skipped(result) == {"phonecall": False, "systemuser": True}
    assert raw_values(warehouse) == ([("p1", "second call")], [("u1", MARKER)])
    (kept,) = [
        event.metadata
        for event in result.asset_materializations_for_node("extract_raw")
        if event.asset_key.path[-1] == "systemuser"
    ]
    assert kept["dagster/row_count"].value == 1


def test_nothing_changed_loads_nothing(environment: tuple[Path, Path]) -> None:  # noqa: F811
    landing, warehouse = environment
    write_phonecall(landing, "a call")
    write_systemuser(landing, "Ann")
    assert materialize().success
    mark_raw(warehouse)

    result = materialize()

    assert skipped(result) == {"phonecall": True, "systemuser": True}
    assert raw_values(warehouse) == ([("p1", MARKER)], [("u1", MARKER)])


def test_a_file_changed_in_place_with_its_old_size_and_mtime_is_reloaded(
    environment: tuple[Path, Path],  # noqa: F811
) -> None:
    """`cp -p` or `touch -d` can give a new file the old size and modification time; the
    status-change time still differs."""
    landing, warehouse = environment
    path = write_phonecall(landing, "old call")
    write_systemuser(landing, "Ann")
    before = path.stat()
    assert materialize().success
    mark_raw(warehouse)

    write_phonecall(landing, "new call")  # same length as "old call"
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    result = materialize()

    assert skipped(result) == {"phonecall": False, "systemuser": True}
    assert raw_values(warehouse) == ([("p1", "new call")], [("u1", MARKER)])


def test_a_table_of_a_failed_run_is_loaded_by_the_next_even_if_unchanged_since(
    environment: tuple[Path, Path],  # noqa: F811
) -> None:
    landing, warehouse = environment
    write_phonecall(landing, "old call")
    write_systemuser(landing, "Ann")
    assert materialize().success

    # phonecall changes validly, systemuser badly: the run swaps nothing, stores nothing.
    write_phonecall(landing, "new call")
    write_systemuser(landing, "Bo", isdisabled="maybe")
    assert not materialize().success
    assert raw_values(warehouse) == ([("p1", "old call")], [("u1", "Ann")])

    write_systemuser(landing, "Bo")  # phonecall.csv not touched since the failed run
    result = materialize()

    assert result.success
    assert skipped(result) == {"phonecall": False, "systemuser": False}
    assert raw_values(warehouse) == ([("p1", "new call")], [("u1", "Bo")])


def test_a_privacy_rule_across_tables_loads_every_table(
    environment: tuple[Path, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With someone listed, raw alone cannot say what the filter removed: no table is
    skipped once one changes; and a changed list reloads every table by itself."""
    landing, warehouse = environment
    exclusions = landing.parent / "exclusions.csv"
    exclusions.write_text("person\nnobody@example.com\n")
    monkeypatch.setenv("RA_PRIVACY_EXCLUSIONS", str(exclusions))
    write_phonecall(landing, "first call")
    write_systemuser(landing, "Ann")
    assert materialize().success
    mark_raw(warehouse)

    write_phonecall(landing, "second call")
    result = materialize()

    assert skipped(result) == {"phonecall": False, "systemuser": False}
    assert raw_values(warehouse) == ([("p1", "second call")], [("u1", "Ann")])

    mark_raw(warehouse)
    exclusions.write_text("person\nsomebody@example.com\n")  # no landing file changed
    assert skipped(materialize()) == {"phonecall": False, "systemuser": False}
    assert raw_values(warehouse) == ([("p1", "second call")], [("u1", "Ann")])


def test_the_fingerprint_follows_a_symlink_and_the_context(tmp_path: Path) -> None:
    folder = tmp_path / "day1"
    write_systemuser(folder, "Ann")
    day2 = tmp_path / "day2"
    day2.mkdir()
    (day2 / "systemuser.csv").symlink_to(folder / "systemuser.csv")
    context = {"encoding": "utf-8", "privacy": "", "code": code_fingerprint()}

    one = landing_fingerprint(find_landing_files(folder, "systemuser"), context)
    linked = landing_fingerprint(find_landing_files(day2, "systemuser"), context)
    other_encoding = landing_fingerprint(
        find_landing_files(folder, "systemuser"), {**context, "encoding": "cp1252"}
    )

    assert one == linked  # the next day's landing links the unchanged file
    assert other_encoding != one
    assert file_identity(day2 / "systemuser.csv")[0] == str((folder / "systemuser.csv").resolve())
    assert len(one) == 64
