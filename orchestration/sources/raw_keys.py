"""Key checks of a freshly built raw table, and rows a landing tool flags deleted.

Both run inside the load's transaction (orchestration.sources.raw_loader), after the
strict build, on DuckDB's own storage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb

from orchestration.contract import TableContract
from orchestration.sources.raw_load_errors import LandingDataError, raise_duplicate, where_text
from orchestration.sources.raw_sql import (
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    normalized_sql,
    quote_identifier,
)

# Columns with which landing tools mark a row deleted in the CRM (see `drop_flagged_deleted`):
# Fivetran's soft delete, Synapse Link's append-only marker and its older spelling.
DELETED_FLAG_COLUMNS = ("_fivetran_deleted", "isdelete", "isdeleted")


def check_keys(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    target: str,
    describe: Callable[[str, int], str],
) -> tuple[int, int]:
    """Check keys of the freshly built table; drop superseded rows; return (read, dropped).

    Runs inside the load's transaction on DuckDB's own storage, which scans much faster
    than the source files. Uniqueness is first tested on 64-bit key hashes: when no two
    are equal no key repeats (exact, not probable), and sorting the hashes to compare
    neighbours costs about half of counting distinct hashes and a fraction of grouping
    the strings. Only when hashes repeat do the exact, slower queries run.

    Keys compare as Dataverse ids (`normalized_sql`): two spellings of one id ('{ABC}', 'abc')
    are one key, its versions resolved like any other; a blank key is an empty key.
    """
    table = contract.name
    raw_key = quote_identifier(contract.primary_key)
    key = normalized_sql(raw_key)
    position = f"{{'f': {SOURCE_FILE_COLUMN}, 'r': {SOURCE_ROW_COLUMN}}}"
    rows_read, empty_keys, repeated_hashes = connection.execute(
        f"""
        select
            count(*),
            count(*) filter (where key_hash is null),
            count(*) filter (where key_hash = previous_hash)
        from (
            select key_hash, lag(key_hash) over (order by key_hash) as previous_hash
            from (
                select case when {key} is not null then hash({key}) end as key_hash
                from {target}
            )
        )
        """
    ).fetchone()
    if empty_keys:
        (empty_key_at,) = connection.execute(
            f"select min({position}) from {target} where {key} is null"
        ).fetchone()
        where = describe(empty_key_at["f"], empty_key_at["r"])
        raise LandingDataError(
            where_text(table, empty_key_at["f"], contract.primary_key, where)
            + ": primary key is empty",
            table=table,
            file=empty_key_at["f"],
            column=contract.primary_key,
            row=where,
        )
    if repeated_hashes == 0:
        return rows_read, 0

    # Some key may repeat (or two keys share a hash): a tie is a repeated key with the
    # same modifiedon, or any repeated key when the table has no modifiedon.
    dated = contract.has_modifiedon
    version = "modifiedon" if dated else "null"
    tie = connection.execute(
        f"""
        select
            arg_min({raw_key}, {position}), {version}, min({position}) as first_at,
            max({position}), arg_max({raw_key}, {position})
        from {target}
        group by {key}, {version}
        having count(*) > 1
        order by first_at
        limit 1
        """
    ).fetchone()
    if tie is not None:
        spelling, modifiedon, first_at, last_at, other_spelling = tie
        raise_duplicate(contract, describe, spelling, modifiedon, first_at, last_at, other_spelling)

    if not dated:
        return rows_read, 0  # the hashes collided; no key repeats
    # Newest modifiedon wins; null modifiedon counts as oldest (ties were refused).
    (superseded,) = connection.execute(
        f"""
        delete from {target}
        using (
            select {key} as key_value, max(modifiedon) as newest
            from {target}
            group by {key}
            having count(*) > 1
        ) as repeated
        where {normalized_sql(f"{target}.{raw_key}")} = repeated.key_value
            and {target}.modifiedon is distinct from repeated.newest
        """
    ).fetchone()
    return rows_read, superseded


def drop_flagged_deleted(
    connection: duckdb.DuckDBPyConnection, target: str, flags: Sequence[str]
) -> int:
    """Delete rows flagged deleted by the landing tool; return how many.

    Fivetran keeps a row deleted in the CRM with `_fivetran_deleted = true`; Synapse Link
    append-only tables mark one with `IsDelete` (KPI_SPEC section 1: such a row does not
    exist). Runs after `check_keys`, so the flag of a key's newest version decides. A flag
    counts when true, 1 or 'true' (any case, blanks ignored), whatever its source type.
    """
    if not flags:
        return 0
    (deleted,) = connection.execute(
        f"delete from {target} where {flagged_predicate(flags)}"
    ).fetchone()
    return deleted


def flagged_predicate(flags: Sequence[str]) -> str:
    """SQL true for a row one of the `flags` columns marks deleted (see
    `drop_flagged_deleted`); 'false' when there is no flag column."""
    if not flags:
        return "false"
    return " or ".join(
        f"coalesce(lower(trim(cast({quote_identifier(flag)} as VARCHAR))) in ('true', '1'), false)"
        for flag in flags
    )
