"""Find a contract table's landing files (KPI_SPEC section 1).

A table lands as exactly one of `<table>.csv`, `<table>.parquet` or a folder `<table>/` of
`.csv` or `.parquet` parts. A folder that holds `_delta_log/` is a Delta Lake table: its
files are the ones its latest version names (read with the `deltalake` package), never
every Parquet file on disk, because files removed by DELETE, MERGE or OPTIMIZE stay there
until VACUUM. Finding the files is kept apart from reading them (landing.py) so that the
rules (which names count, what is ambiguous) can be tested without a warehouse, and so
that the asset can report the files it loaded even when the load fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.sources.raw_load_errors import LandingDataError

CSV = "csv"
PARQUET = "parquet"
DELTA_LOG = "_delta_log"
# Reader features whose rows the data files alone do not give: deletion vectors hide rows
# inside a file, column mapping renames the files' physical columns.
_UNSUPPORTED_DELTA_FEATURES = ("deletionVectors", "columnMapping")
_FORMAT_BY_SUFFIX = {".csv": CSV, ".parquet": PARQUET}


@dataclass(frozen=True)
class LandingFiles:
    """The files one table landed as, all of one format, in load order.

    Plain files and folders are in name order; a Delta table's files in the order its
    log lists them (`delta_table` is then the table's folder). `partitioned` says the
    folder names carry column values (`<column>=<value>/`, Delta partition columns).
    """

    table: str
    format: str
    paths: tuple[Path, ...]
    delta_table: Path | None = None
    partitioned: bool = False


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
    if (folder / DELTA_LOG).is_dir():
        return delta_table_files(folder, table)

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


def delta_table_files(folder: Path, table: str) -> LandingFiles:
    """The Parquet files of the latest version of the Delta table in `folder`.

    Raises LandingDataError when the log cannot be read or the table uses a reader
    feature (deletion vectors, column mapping) whose rows its files alone do not give.
    """
    # Imported here: only Delta landings pay for loading delta-rs.
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    where = f"raw load failed: table '{table}', Delta table '{folder}'"
    try:
        delta = DeltaTable(str(folder))
        features = set(delta.protocol().reader_features or ())
        uris = delta.file_uris()
        partition_columns = list(delta.metadata().partition_columns)
    except (DeltaError, OSError, ValueError) as error:
        raise LandingDataError(
            f"{where}: the Delta log could not be read ({type(error).__name__}: {error})",
            table=table,
            file=str(folder),
        ) from error
    unsupported = sorted(features.intersection(_UNSUPPORTED_DELTA_FEATURES))
    if unsupported:
        raise LandingDataError(
            f"{where}: the table uses the Delta reader feature(s) {', '.join(unsupported)}, "
            "which this loader does not apply; rewrite the table without them (for deletion "
            "vectors: REORG TABLE ... APPLY (PURGE)) or export it as Parquet",
            table=table,
            file=str(folder),
        )
    if not uris:
        raise LandingDataError(
            f"{where}: the latest version of the Delta table holds no data files",
            table=table,
            file=str(folder),
        )
    paths = tuple(Path(uri.removeprefix("file://")) for uri in uris)
    return LandingFiles(
        table, PARQUET, paths, delta_table=folder, partitioned=bool(partition_columns)
    )
