"""Publishing marts for BI and dashboards for stakeholders.

- every mart as Parquet, and as CSV when it has at most RA_EXPORT_CSV_MAX_ROWS rows, plus
  manifest.json with every mart's and column's description from dbt (data_dictionary);
- relationship_marts.duckdb (orchestration.publishing.bi_file), every mart in one file
  that BI tools open read-only, with the same descriptions as DuckDB comments;
- dashboards/: static HTML (orchestration.dashboards), for everyone and per business unit.

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
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.dashboards.data import business_units as warehouse_business_units
from orchestration.dashboards.options import DashboardOptions
from orchestration.dashboards.paths import safe_name
from orchestration.dashboards.site import SiteReport, write_site
from orchestration.publishing.data_dictionary import MartDescription

MARTS_SCHEMA = "marts"
DASHBOARDS_DIR = "dashboards"
BUSINESS_UNITS_DIR = "business_units"
UNIQUE_TESTS = ("unique", "unique_combination")

# OWASP "CSV Injection": a cell starting with one of these is a formula to Excel, LibreOffice
# and Google Sheets (tab and carriage return hide a formula after them). Such a text cell
# gets a leading apostrophe, which spreadsheets show as text and do not display.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"


def _replace_atomically(temporary: Path, final: Path) -> None:
    os.replace(temporary, final)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    """
    prefixes = ", ".join(_sql_string(prefix) for prefix in FORMULA_PREFIXES)
    items = []
    for name, data_type in columns:
        column = _identifier(name)
        if data_type.upper() == "VARCHAR":
            items.append(
                f"case when left({column}, 1) in ({prefixes}) "
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


def export_mart(
    connection: duckdb.DuckDBPyConnection,
    mart: str,
    marts_dir: Path,
    key: Sequence[str] = (),
    csv_max_rows: int | None = None,
    description: MartDescription | None = None,
) -> dict[str, object]:
    """Write one mart as Parquet, and as CSV unless it has more than `csv_max_rows` rows,
    rows in key order; return its manifest entry.

    The entry: mart, description, files ({"parquet": path, "csv": path} relative to the
    export folder; no "csv" when skipped), csv_skipped (why, only when skipped), key,
    columns ([{name, type, description}]), row_count, as_of. Descriptions come from dbt
    (`description`, see data_dictionary); None without one.

    The mart is read from the warehouse once, sorted, into the Parquet file; the row count
    is what that COPY wrote, and the CSV and the as-of instant are read from the new
    Parquet file (in its row order), not from the mart again: a mart that is a view
    (mart_relationship_health_daily) would otherwise be evaluated and sorted once per
    file. Parquet keeps every DuckDB type of a mart exactly (VARCHAR, BOOLEAN, INTEGER,
    BIGINT, DOUBLE, DATE, TIMESTAMP), so the CSV text is the same as from the mart itself.
    """
    marts_dir.mkdir(parents=True, exist_ok=True)
    relation = f"{MARTS_SCHEMA}.{_identifier(mart)}"
    # A mart that does not exist has no columns: the COPY below then fails naming it.
    columns = mart_columns(connection, mart)
    names = [name for name, _ in columns]
    order = order_by_key(names, key)
    parquet = marts_dir / f"{mart}.parquet"
    row_count = _copy_atomically(
        connection, f"select * from {relation} {order}", parquet, "format parquet"
    )
    csv_skipped = csv_skip_reason(row_count, csv_max_rows)
    files = {"parquet": f"marts/{mart}.parquet"}
    if csv_skipped is None:
        _copy_atomically(
            connection,
            in_file_order(parquet, csv_safe_select(columns)),
            marts_dir / f"{mart}.csv",
            "format csv, header",
        )
        files["csv"] = f"marts/{mart}.csv"
    else:
        # Never leave a CSV of an earlier export beside the new Parquet.
        (marts_dir / f"{mart}.csv").unlink(missing_ok=True)
    # The weekly mart can be older than the daily ones: say which instant each mart is of.
    as_of_column = next((c for c in ("kpis_as_of", "refreshed_at") if c in names), None)
    as_of = None
    if as_of_column:
        as_of = connection.execute(
            f"select cast(max({_identifier(as_of_column)}) as varchar) "
            f"from read_parquet({_sql_string(str(parquet))})"
        ).fetchone()[0]
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


def in_file_order(parquet: Path, select_list: str = "* exclude (file_row_number)") -> str:
    """A query of `select_list` over one Parquet file, in the file's row order.

    DuckDB does not keep a file's row order through every operator (a COPY to CSV of
    `select <expressions> from read_parquet(...)` came out in another order at 1M rows on
    2026-11-30), so the order is made explicit with the file's row numbers; sorting one
    integer column costs a fraction of sorting the mart's key again.
    """
    return (
        f"select {select_list} from read_parquet({_sql_string(str(parquet))}, "
        "file_row_number = true) order by file_row_number"
    )


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
            "select table_name from information_schema.tables where table_schema = ?",
            [MARTS_SCHEMA],
        ).fetchall()
    }
    return [mart for mart in marts if mart in present]


@dataclass
class DashboardExport:
    directory: Path
    sites: list[SiteReport] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(sum(site.pages.values()) for site in self.sites)


def resolve_business_units(
    connection: duckdb.DuckDBPyConnection, options: DashboardOptions
) -> list[str]:
    """The units to export: every unit for 'all'; a named unit must own at least one user."""
    if not options.business_units:
        return []
    known = warehouse_business_units(connection)
    if options.every_business_unit:
        return known
    unknown = [unit for unit in options.business_units if unit not in known]
    if unknown:
        raise ValueError(
            f"RA_DASHBOARD_BUSINESS_UNITS names {', '.join(unknown)}, which no user belongs "
            f"to; known units: {', '.join(known) or 'none'}"
        )
    return list(options.business_units)


def _swap_directory(staging: Path, final: Path) -> None:
    """Put a finished tree in place: readers see the old tree or the new one, never half."""
    if final.exists():
        retired = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, retired)
        os.replace(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, final)


def export_dashboards(
    connection: duckdb.DuckDBPyConnection,
    export_dir: Path,
    options: DashboardOptions,
    built_at: datetime | None = None,
) -> DashboardExport:
    """Write $RA_EXPORT_DIR/dashboards: the full site and one site per requested unit.

    A unit's site, under dashboards/business_units/<unit>/, holds only the records owned by
    that unit's users and can be handed to that unit as it is.
    """
    export_dir.mkdir(parents=True, exist_ok=True)
    built_at = built_at or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    units = resolve_business_units(connection, options)
    unit_links = [(unit, safe_name(unit)) for unit in units]
    final = export_dir / DASHBOARDS_DIR
    staging = export_dir / f".{DASHBOARDS_DIR}.tmp-{uuid.uuid4().hex[:8]}"
    result = DashboardExport(directory=final)
    try:
        result.sites.append(
            write_site(connection, staging, options.top_n, None, built_at, unit_links)
        )
        for unit, unit_dir in unit_links:
            result.sites.append(
                write_site(
                    connection,
                    staging / BUSINESS_UNITS_DIR / unit_dir,
                    options.top_n,
                    unit,
                    built_at,
                )
            )
        manifest = {
            "built_at": built_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "top_n": options.top_n,
            "sites": [site.as_json(staging) for site in result.sites],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        for site in result.sites:
            site.directory = final / site.directory.relative_to(staging)
        _swap_directory(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result
