"""Find a contract table's landing files (KPI_SPEC section 1).

A table lands as exactly one of `<table>.csv`, `<table>.parquet` or a folder `<table>/` of
`.csv` or `.parquet` parts. Finding the files is kept apart from reading them so that the
rules (which names count, what is ambiguous) can be tested without DuckDB, and so that the
asset can report the files it loaded even when the load fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CSV = "csv"
PARQUET = "parquet"
_FORMAT_BY_SUFFIX = {".csv": CSV, ".parquet": PARQUET}


class LandingDataError(ValueError):
    """Bad landing input: missing or ambiguous files, missing columns, bad values, bad keys.

    Every message starts with `raw load failed:` and names the table and, where one
    applies, the file, column and row, so an operator can fix the input without reading
    code. The attributes carry the same facts for run metadata and tests.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str,
        file: str | None = None,
        column: str | None = None,
        row: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.table = table
        self.file = file
        self.column = column
        self.row = row
        self.value = value


@dataclass(frozen=True)
class LandingFiles:
    """The files one table landed as, all of one format, in load order (sorted by name)."""

    table: str
    format: str
    paths: tuple[Path, ...]


def _is_data_file(path: Path) -> bool:
    # Spark-style writers leave _SUCCESS and .crc files next to the parts: not data.
    return (
        path.is_file()
        and not path.name.startswith((".", "_"))
        and path.suffix.lower() in _FORMAT_BY_SUFFIX
    )


def find_landing_files(landing_dir: Path, table: str) -> LandingFiles:
    """Return the landing files of `table` in `landing_dir`, or raise LandingDataError.

    Two forms at once (say `email.csv` and `email/`) is an error rather than a merge: the
    likely cause is a stale export next to a new one, and guessing would load both.
    """
    landing_dir = Path(landing_dir)
    where = f"raw load failed: table '{table}', folder '{landing_dir}'"
    if not landing_dir.is_dir():
        raise LandingDataError(
            f"{where}: the landing folder does not exist", table=table, file=str(landing_dir)
        )

    single_files = [
        landing_dir / f"{table}{suffix}"
        for suffix in _FORMAT_BY_SUFFIX
        if (landing_dir / f"{table}{suffix}").is_file()
    ]
    folder = landing_dir / table
    forms = [*single_files, *([folder] if folder.is_dir() else [])]

    if not forms:
        raise LandingDataError(
            f"{where}: no landing data found "
            f"(expected {table}.csv, {table}.parquet or a folder {table}/ of .csv/.parquet files)",
            table=table,
            file=str(landing_dir),
        )
    if len(forms) > 1:
        names = ", ".join(f"'{form.name}{'/' if form.is_dir() else ''}'" for form in forms)
        raise LandingDataError(
            f"{where}: table landed in more than one form ({names}); keep exactly one",
            table=table,
            file=str(landing_dir),
        )

    if single_files:
        path = single_files[0]
        return LandingFiles(table, _FORMAT_BY_SUFFIX[path.suffix.lower()], (path,))

    parts = tuple(sorted((p for p in folder.iterdir() if _is_data_file(p)), key=lambda p: p.name))
    if not parts:
        raise LandingDataError(
            f"raw load failed: table '{table}', folder '{folder}': "
            "the folder holds no .csv or .parquet files",
            table=table,
            file=str(folder),
        )
    formats = {_FORMAT_BY_SUFFIX[p.suffix.lower()] for p in parts}
    if len(formats) > 1:
        raise LandingDataError(
            f"raw load failed: table '{table}', folder '{folder}': "
            "the folder mixes .csv and .parquet files; use one format per table",
            table=table,
            file=str(folder),
        )
    return LandingFiles(table, formats.pop(), parts)
