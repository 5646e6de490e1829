"""The SQL that merges a delta round into raw: what `load_raw_table` stages.

An incremental round stages the untouched rows of `raw.<table>` (cast to text, so they
are validated like the rest) together with the changed rows, and `load_raw_table` swaps
the whole table in one transaction: a failed round leaves raw exactly as it was, never
half-applied. Shapes: the spool's `rows.parquet` (contract columns as text,
`_source_file`, `_source_row`) and `keys.parquet` (`key`, `_source_row`), see
orchestration.sources.dataverse.spool.
"""

from __future__ import annotations

import duckdb

from orchestration.sources.dataverse.schema import EntitySpec
from orchestration.sources.dataverse.spool import Spool
from orchestration.sources.raw_sql import (
    RAW_SCHEMA,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    quote_identifier,
    quote_literal,
)


def latest_changes(spool: Spool, key: str) -> str:
    # A key seen twice in one feed (changed while pages were read): the later entry wins.
    # Rows stay in feed order, so raw's physical order (which float sums downstream
    # follow) does not depend on how the window was computed.
    return (
        f"select * from read_parquet({quote_literal(str(spool.rows_path))}) "
        f"qualify row_number() over (partition by lower({quote_identifier(key)}) "
        f"order by {SOURCE_ROW_COLUMN} desc) = 1 order by {SOURCE_ROW_COLUMN}"
    )


def keep_raw_rows(
    connection: duckdb.DuckDBPyConnection, spec: EntitySpec, ctes: str, where: str
) -> str:
    """Copy the rows of `raw.<table>` a round keeps into a temp table; return its name.

    The staged rows cannot read `raw.<table>` itself: `load_raw_table` replaces that
    table before it reads the staged rows. Cast to text, they are validated like the rest.
    """
    name = f"_dataverse_kept_{spec.table}"
    columns = ", ".join(
        f"cast({quote_identifier(column)} as varchar) as {quote_identifier(column)}"
        for column in spec.columns
    )
    connection.execute(
        f"create or replace temp table {name} as {ctes} "
        f"select {columns}, {SOURCE_FILE_COLUMN}, {SOURCE_ROW_COLUMN} "
        f"from {RAW_SCHEMA}.{quote_identifier(spec.table)} as old where {where}"
    )
    return name


def incremental_sql(
    connection: duckdb.DuckDBPyConnection, spool: Spool, spec: EntitySpec
) -> tuple[str, str]:
    """Raw minus changed and deleted keys, plus changed rows not deleted after they changed.

    Returns the staged SQL and the temp table it reads (drop it after the load).
    """
    key = quote_identifier(spec.primary_key)
    keys = f"read_parquet({quote_literal(str(spool.keys_path))})"
    ctes = f"""
        with changes as ({latest_changes(spool, spec.primary_key)}),
        removals as (
            select lower(key) as key, max({SOURCE_ROW_COLUMN}) as removed_at
            from {keys} group by 1
        )
    """
    kept = keep_raw_rows(
        connection,
        spec,
        ctes,
        f"not exists (select 1 from changes where lower(changes.{key}) = lower(old.{key})) "
        f"and not exists (select 1 from removals where removals.key = lower(old.{key}))",
    )
    return (
        f"""
        {ctes},
        kept_changes as (
            select changes.* from changes
            left join removals on lower(changes.{key}) = removals.key
            where removals.key is null or changes.{SOURCE_ROW_COLUMN} > removals.removed_at
        )
        select * from {kept}
        union all by name
        select * from kept_changes
        """,
        kept,
    )


def parties_sql(
    connection: duckdb.DuckDBPyConnection, spool: Spool, spec: EntitySpec
) -> tuple[str, str]:
    """Raw parties of untouched activities plus the re-read parties of changed ones."""
    key = quote_identifier(spec.primary_key)
    activities = f"read_parquet({quote_literal(str(spool.keys_path))})"
    ctes = f"with changes as ({latest_changes(spool, spec.primary_key)})"
    kept = keep_raw_rows(
        connection,
        spec,
        ctes,
        f"not exists (select 1 from {activities} as changed "
        f"where changed.key = lower(old.activityid)) "
        f"and not exists (select 1 from changes where lower(changes.{key}) = lower(old.{key}))",
    )
    return f"{ctes} select * from {kept} union all by name select * from changes", kept
