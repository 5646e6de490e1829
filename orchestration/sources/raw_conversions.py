"""SQL that turns one staged column into its contract type, strictly, and finds bad values.

The landing rules (README, "Bad input"): empty or blank text is null; booleans are
true/false/1/0 in any case; integers are whole numbers in 32-bit range; timestamps with
`Z` or an offset are converted to UTC, those without are taken as UTC; dates take
`YYYY-MM-DD` or the date part of a timestamp. Typed sources (Parquet, Arrow) pass
through with a cast, checked only where the cast can lose information. Used by
orchestration.sources.raw_loader; a new contract type starts here.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.contract import BOOLEAN, DATE, DOUBLE, INTEGER, TIMESTAMP, VARCHAR
from orchestration.sources.raw_sql import quote_literal

SQL_TYPE = {
    VARCHAR: "VARCHAR",
    BOOLEAN: "BOOLEAN",
    INTEGER: "INTEGER",
    DOUBLE: "DOUBLE",
    TIMESTAMP: "TIMESTAMP",
    DATE: "DATE",
}
NOT_A = {
    BOOLEAN: "is not a boolean (expected true, false, 1 or 0)",
    INTEGER: "is not an integer",
    DOUBLE: "is not a number",
    TIMESTAMP: "is not a timestamp",
    DATE: "is not a date",
}
# DuckDB type ids (DuckDBPyType.id) grouped by what they can pass straight through as.
_SMALL_INTEGER_IDS = {"tinyint", "smallint", "integer", "utinyint", "usmallint"}
_NUMERIC_IDS = _SMALL_INTEGER_IDS | {
    "bigint",
    "hugeint",
    "uinteger",
    "ubigint",
    "uhugeint",
    "decimal",
    "float",
    "double",
}
_NAIVE_TIMESTAMP_IDS = {"timestamp", "timestamp_ns", "timestamp_ms", "timestamp_s"}
_STRING_IDS = {"varchar", "null"}


def _is_zoned_timestamp(type_id: str) -> bool:
    return type_id.startswith("timestamp") and ("time zone" in type_id or "tz" in type_id)


@dataclass(frozen=True)
class ColumnExpressions:
    """SQL for one contract column: its typed value, and when a source value is bad.

    `value` is strict: it raises on any bad value, so the load can build the table in one
    pass and pay for `bad` (the diagnostic, one try_cast scan) only when that pass fails.
    `bad` is None when no source value can be bad (text into text, int32 into integer).
    """

    value: str
    bad: str | None


def _fail(what: str) -> str:
    # error() is not folded at plan time, so it only fires for a row that reaches it.
    return f"error({quote_literal(what)})"


def column_expressions(
    column_sql: str, source_type_id: str, logical_type: str
) -> ColumnExpressions:
    """Typed value and bad-value predicate for one column, by source and contract type.

    Strings follow the landing rules: empty (or blank) is null; booleans are
    true/false/1/0 in any case; integers must be whole numbers in 32-bit range;
    timestamps with `Z` or an offset are converted to UTC, those without are taken as UTC
    (the session time zone is UTC during a load); dates take `YYYY-MM-DD` or the date part
    of a timestamp as written. Already-typed values (Parquet, Arrow) pass through with a
    cast, checked only where the cast can lose information.
    """
    sql_type = SQL_TYPE[logical_type]
    source_type_id = source_type_id.lower()
    c = column_sql
    fail = _fail(f"value of {column_sql} {NOT_A.get(logical_type, '')}")

    if source_type_id not in _STRING_IDS:
        if logical_type == VARCHAR:
            return ColumnExpressions(f"cast({c} as VARCHAR)", None)
        if logical_type == BOOLEAN:
            if source_type_id == "boolean":
                return ColumnExpressions(c, None)
            if source_type_id in _NUMERIC_IDS:
                return ColumnExpressions(
                    f"(case when {c} is null then null when {c} = 1 then true "
                    f"when {c} = 0 then false else {fail} end)",
                    f"({c} is not null and {c} not in (0, 1))",
                )
        if logical_type == INTEGER:
            if source_type_id in _SMALL_INTEGER_IDS:
                return ColumnExpressions(f"cast({c} as INTEGER)", None)
            if source_type_id in _NUMERIC_IDS:
                whole = f"try_cast({c} as INTEGER) = {c}"
                return ColumnExpressions(
                    f"(case when {c} is null then null when {whole} "
                    f"then try_cast({c} as INTEGER) else {fail} end)",
                    f"({c} is not null and not coalesce({whole}, false))",
                )
        if logical_type == DOUBLE and source_type_id in _NUMERIC_IDS:
            return ColumnExpressions(f"cast({c} as DOUBLE)", None)
        if logical_type in (TIMESTAMP, DATE):
            if source_type_id in _NAIVE_TIMESTAMP_IDS or source_type_id == "date":
                return ColumnExpressions(f"cast({c} as {sql_type})", None)
            if _is_zoned_timestamp(source_type_id):
                return ColumnExpressions(f"cast(timezone('UTC', {c}) as {sql_type})", None)
        # Anything else (say a timestamp held as text in Parquet) is judged as text.
        c = f"cast({c} as VARCHAR)"

    if logical_type == VARCHAR:
        return ColumnExpressions(f"nullif({c}, '')", None)

    text = f"nullif(trim({c}), '')"
    if logical_type == BOOLEAN:
        folded = f"lower(trim({c}))"
        return ColumnExpressions(
            f"(case when {text} is null then null when {folded} in ('true', '1') then true "
            f"when {folded} in ('false', '0') then false else {fail} end)",
            f"({text} is not null and {folded} not in ('true', '1', 'false', '0'))",
        )
    if logical_type == INTEGER:
        # DuckDB rounds '1.5' to 2 when casting to INTEGER: compare with the double value.
        whole = f"try_cast({text} as INTEGER) = try_cast({text} as DOUBLE)"
        return ColumnExpressions(
            f"(case when {text} is null then null when {whole} "
            f"then try_cast({text} as INTEGER) else {fail} end)",
            f"({text} is not null and not coalesce({whole}, false))",
        )
    if logical_type == TIMESTAMP:
        return ColumnExpressions(
            f"timezone('UTC', cast({text} as TIMESTAMPTZ))",
            f"({text} is not null and try_cast({text} as TIMESTAMPTZ) is null)",
        )
    return ColumnExpressions(
        f"cast({text} as {sql_type})",
        f"({text} is not null and try_cast({text} as {sql_type}) is null)",
    )
