"""Publishing marts for BI: the marts' files of an export set.

- every mart as Parquet, and as CSV when it has at most RA_EXPORT_CSV_MAX_ROWS rows, plus
  manifest.json with every mart's and column's description from dbt (data_dictionary);
- relationship_marts.duckdb (orchestration.publishing.bi_file), every mart in one file
  that BI tools open read-only, with the same descriptions as DuckDB comments; each mart
  is sorted once into that file and its Parquet and CSV files are written from there.

The dashboards/ folder of the same set: orchestration.publishing.dashboard_files.

The Dagster step writes all of these into one folder set aside and publishes the set at
once (orchestration.publishing.export_set). Every file here is still written next to its final name
and renamed into place, so a caller writing straight into a folder that readers use gets
whole files too.

Every export lists a mart's rows in the order of its key (the columns of the mart's unique
test in dbt, then every other column), so a fixed RA_AS_OF on the same input gives the same
bytes. CSV cells that a spreadsheet would run as a formula are neutralised (see
`csv_safe_select`); Parquet and the DuckDB file keep every value exactly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.publishing.bi_file import BiDatabase, attached_bi_database
from orchestration.publishing.data_dictionary import (
    MARTS_SCHEMA,
    MartDescription,
    _identifier,
    _sql_string,
)

UNIQUE_TESTS = ("unique", "unique_combination")
# The mart whose kpis_as_of is the run's as-of instant (manifest.json, the BI file).
KPIS_MART = "mart_relationship_kpis"

# OWASP "CSV Injection": a cell starting with one of these is a formula to Excel, LibreOffice
# and Google Sheets (tab and carriage return hide a formula after them). Such a text cell
# gets a leading apostrophe, which spreadsheets show as text and do not display.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"


def _replace_atomically(temporary: Path, final: Path) -> None:
    os.replace(temporary, final)


def mart_keys(manifest: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """Each mart's key, from its unique tests in dbt's manifest: {mart: (column, ...)}.

    A mart with several unique tests (e.g. (record, rank) and (record, party)) takes the one
    with fewest columns, ties broken by the test's name, so the choice never changes between
    runs. A mart with no unique test is absent (it is then ordered by every column).
    """
    nodes: Mapping[str, Mapping] = manifest["nodes"]  # type: ignore[assignment]
    marts = {
        unique_id: node["name"]
        for unique_id, node in nodes.items()
        if node["resource_type"] == "model" and node["fqn"][1] == MARTS_SCHEMA
    }
    candidates: dict[str, list[tuple[int, str, tuple[str, ...]]]] = {}
    for unique_id, node in nodes.items():
        metadata = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or metadata.get("name") not in UNIQUE_TESTS:
            continue
        if (node.get("config") or {}).get("where"):
            continue  # unique on a subset of rows only: not a key of the mart
        models = [marts[dep] for dep in node["depends_on"]["nodes"] if dep in marts]
        if len(models) != 1:
            continue
        kwargs = metadata.get("kwargs") or {}
        columns = tuple(kwargs.get("columns") or [node.get("column_name")])
        if all(columns):
            candidates.setdefault(models[0], []).append((len(columns), unique_id, columns))
    return {mart: min(found)[2] for mart, found in candidates.items()}


def order_by_key(columns: Sequence[str], key: Sequence[str]) -> str:
    """`order by` the key, then every other column: a total order whatever the data holds.

    The other columns only matter where the key repeats (it should not: the unique tests
    block the exports otherwise) or where a mart has no key.
    """
    unknown = [column for column in key if column not in columns]
    if unknown:
        raise ValueError(
            f"the key column(s) {', '.join(unknown)} are not columns of the mart "
            f"({', '.join(columns)}); run `dbt parse` so the manifest matches the models"
        )
    ordered = [*key, *(column for column in columns if column not in key)]
    if not ordered:
        return ""
    return "order by " + ", ".join(_identifier(column) for column in ordered)


def csv_safe_select(columns: Sequence[tuple[str, str]]) -> str:
    """A select list that prefixes formula-like text cells with an apostrophe.

    `columns` is [(name, DuckDB type)]. Only VARCHAR cells change: '=1+1' -> "'=1+1", '-3'
    (text) -> "'-3"; the number -3 stays -3, NULL stays empty. Rule: OWASP CSV Injection.

    The test is a chain of `or`, not `in (...)`: DuckDB 2.0 turns a list of six constants
    into a join against them, and a join does not keep the scanned table's row order (the
    CSV of a 259k-row mart came out of key order at 1M activities, 2026-11-30).
    tests/test_export_set.py checks the order on 200,000 rows.
    """
    prefixes = [_sql_string(prefix) for prefix in FORMULA_PREFIXES]
    items = []
    for name, data_type in columns:
        column = _identifier(name)
        if data_type.upper() == "VARCHAR":
            formula = " or ".join(f"left({column}, 1) = {prefix}" for prefix in prefixes)
            items.append(
                f"case when {formula} "
                f"then {_sql_string(FORMULA_ESCAPE)} || {column} else {column} end as {column}"
            )
        else:
            items.append(column)
    return ", ".join(items)


def mart_columns(
    connection: duckdb.DuckDBPyConnection, mart: str, database: str | None = None
) -> list[tuple[str, str]]:
    """[(column, DuckDB type)] of one mart, in the table's order (of the attached
    `database`, else of the connection's own)."""
    return connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = coalesce(?, current_database()) "
        "and table_schema = ? and table_name = ? order by ordinal_position",
        [database, MARTS_SCHEMA, mart],
    ).fetchall()


def csv_skip_reason(row_count: int, csv_max_rows: int | None) -> str | None:
    """Why a mart gets no CSV file, or None when it gets one (at most `csv_max_rows` rows;
    None: no bound). A CSV of tens of millions of rows is opened by nobody (a spreadsheet
    stops at 1,048,576 rows) and costs minutes to write; Parquet and the BI file hold it."""
    if csv_max_rows is None or row_count <= csv_max_rows:
        return None
    return f"rows > bound ({row_count} > RA_EXPORT_CSV_MAX_ROWS={csv_max_rows})"


def key_sort(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    table: str,
    columns: Sequence[str],
    key: Sequence[str],
) -> str:
    """Create `table` from `relation` in order_by_key's order; return the `order by` used.

    Sorting by the key alone gives that same order when the key is unique (the mart's
    unique test in dbt says it is), and costs a fraction: at 1M activities the 4.5M
    health-history rows sort in 0.8 CPU seconds by their three key columns against 3.8
    by all 23. Whether the key repeats is checked on the new table, whose rows are stored
    in sort order (DuckDB keeps the order of an ORDER BY into CREATE TABLE AS and of a
    single-table scan with an empty OVER (), duckdb.org/docs, "Order Preservation"): a
    streaming pass comparing each row's key with the previous row's (NULLs compare equal;
    a first row whose key is all NULL counts as a repeat, costing at worst the full sort).
    A repeated key (its unique test failed and the exports still ran) sorts the mart again
    by every column.
    """
    full = order_by_key(columns, key)
    if not key or set(key) == set(columns):
        connection.execute(f"create table {table} as select * from {relation} {full}")
        return full
    by_key = "order by " + ", ".join(_identifier(column) for column in key)
    connection.execute(f"create table {table} as select * from {relation} {by_key}")
    same_as_previous = " and ".join(
        f"{_identifier(column)} is not distinct from lag({_identifier(column)}) over ()"
        for column in key
    )
    (repeats,) = connection.execute(
        f"select count(*) from (select {same_as_previous} as repeated from {table}) where repeated"
    ).fetchone()
    if not repeats:
        return by_key
    connection.execute(f"create or replace table {table} as select * from {relation} {full}")
    return full


def export_mart(
    connection: duckdb.DuckDBPyConnection,
    mart: str,
    bi: BiDatabase,
    marts_dir: Path,
    key: Sequence[str] = (),
    csv_max_rows: int | None = None,
    description: MartDescription | None = None,
) -> dict[str, object]:
    """Write one mart into the BI file (`bi`), as Parquet, and as CSV unless it has more
    than `csv_max_rows` rows, rows in key order; return its manifest entry.

    The entry: mart, description, files ({"parquet": path, "csv": path} relative to the
    export folder; no "csv" when skipped), csv_skipped (why, only when skipped), key,
    columns ([{name, type, description}]), row_count, as_of. Descriptions come from dbt
    (`description`, see data_dictionary); None without one; they also become the
    table's comments in the BI file.

    The mart is read from the warehouse once, sorted (key_sort) into its BI-file table;
    the Parquet file, the CSV file, the row count and the as-of instant are read from
    that table in its stored order (a plain scan keeps it, as for key_sort's check), so a
    mart that is a view (mart_relationship_health_daily) is evaluated and sorted once.
    The table keeps the mart's DuckDB types, so Parquet and the CSV text are the same as
    from the mart itself.

    Raises ValueError when the warehouse has no mart of that name, duckdb.Error (the
    mart named) when DuckDB fails to read or write it.
    """
    marts_dir.mkdir(parents=True, exist_ok=True)
    columns = mart_columns(connection, mart)
    if not columns:
        raise ValueError(
            f"the warehouse has no table or view {MARTS_SCHEMA}.{mart} to export: build it "
            "with dbt (make run), or remove it from the marts the exports list"
        )
    names = [name for name, _ in columns]
    table = bi.table(mart)
    parquet = marts_dir / f"{mart}.parquet"
    try:
        key_sort(connection, f"{MARTS_SCHEMA}.{_identifier(mart)}", table, names, key)
        row_count = _copy_atomically(
            connection, f"select * from {table}", parquet, "format parquet"
        )
        csv_skipped = csv_skip_reason(row_count, csv_max_rows)
        files = {"parquet": f"marts/{mart}.parquet"}
        if csv_skipped is None:
            _copy_atomically(
                connection,
                f"select {csv_safe_select(columns)} from {table}",
                marts_dir / f"{mart}.csv",
                "format csv, header",
            )
            files["csv"] = f"marts/{mart}.csv"
        else:
            # Never leave a CSV of an earlier export beside the new Parquet.
            (marts_dir / f"{mart}.csv").unlink(missing_ok=True)
        # The weekly mart can be older than the daily ones: say which instant each is of.
        as_of_column = next((c for c in ("kpis_as_of", "refreshed_at") if c in names), None)
        as_of = None
        if as_of_column:
            as_of = connection.execute(
                f"select cast(max({_identifier(as_of_column)}) as varchar) from {table}"
            ).fetchone()[0]
        if description:
            bi.describe(description, names)
    except duckdb.Error as error:
        raise type(error)(f"exporting mart {mart}: {error}") from error
    column_descriptions = description.columns if description else {}
    entry: dict[str, object] = {
        "mart": mart,
        "description": description.description if description else None,
        "files": files,
    }
    if csv_skipped is not None:
        entry["csv_skipped"] = csv_skipped
    entry |= {
        "key": list(key),
        "columns": [
            {"name": name, "type": data_type, "description": column_descriptions.get(name)}
            for name, data_type in columns
        ],
        "row_count": row_count,
        "as_of": as_of,
    }
    return entry


def export_marts(
    connection: duckdb.DuckDBPyConnection,
    marts: Sequence[str],
    export_dir: Path,
    keys: Mapping[str, Sequence[str]] | None = None,
    csv_max_rows: int | None = None,
    descriptions: Mapping[str, MartDescription] | None = None,
) -> tuple[list[dict[str, object]], str | None, Path]:
    """Every mart into the BI file, <export_dir>/marts/<mart>.parquet and .csv.

    Returns (manifest entries, the run's as-of instant, the BI file's path). The as-of is
    the KPI mart's (the instant the marts were computed as of, not the export's clock);
    None without that mart. `keys` and `descriptions` per mart (mart_keys,
    data_dictionary.mart_descriptions); a mart without a key is ordered by every column.
    On failure no BI file is left and the previous one is kept.
    """
    keys = keys or {}
    descriptions = descriptions or {}
    with attached_bi_database(connection, export_dir) as bi:
        entries = [
            export_mart(
                connection,
                mart,
                bi,
                export_dir / "marts",
                keys.get(mart, ()),
                csv_max_rows,
                descriptions.get(mart),
            )
            for mart in marts
        ]
        as_of = next((e["as_of"] for e in entries if e["mart"] == KPIS_MART), None)
        bi_database = bi.finish(entries, as_of)
    return entries, as_of, bi_database  # type: ignore[return-value]


def _copy_atomically(
    connection: duckdb.DuckDBPyConnection, query: str, final: Path, options: str
) -> int:
    """COPY `query` to a hidden file beside `final`, rename it into place; rows written."""
    temporary = final.with_name(f".{final.name}.tmp")
    try:
        (rows,) = connection.execute(
            f"copy ({query}) to {_sql_string(str(temporary))} ({options})"
        ).fetchone()
        _replace_atomically(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return int(rows)


def write_manifest(
    export_dir: Path,
    entries: list[dict[str, object]],
    as_of: str,
    bi_database: Path | None = None,
) -> Path:
    manifest = {
        "as_of": as_of,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duckdb": bi_database.relative_to(export_dir).as_posix() if bi_database else None,
        "marts": entries,
    }
    final = export_dir / "manifest.json"
    temporary = export_dir / ".manifest.json.tmp"
    temporary.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    _replace_atomically(temporary, final)
    return final


def existing_marts(connection: duckdb.DuckDBPyConnection, marts: list[str]) -> list[str]:
    """The requested marts that the warehouse holds (the weekly mart may not exist yet)."""
    present = {
        row[0]
        for row in connection.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ?",
            [MARTS_SCHEMA],
        ).fetchall()
    }
    return [mart for mart in marts if mart in present]
