"""Names and quoting shared by the raw loader and every source that stages rows for it.

Every `raw.<table>` lives in schema `RAW_SCHEMA` and ends with two lineage columns:
`_source_file` (varchar: a file path, an API page, ...) and `_source_row` (bigint, the
1-based position of the row in that source). See orchestration.sources.raw_loader.
"""

from __future__ import annotations

RAW_SCHEMA = "raw"
SOURCE_FILE_COLUMN = "_source_file"
SOURCE_ROW_COLUMN = "_source_row"
POSITION_COLUMNS = (SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN)


def quote_identifier(name: str) -> str:
    """A DuckDB identifier in double quotes, inner quotes doubled: `a"b` -> `"a""b"`."""
    return '"' + name.replace('"', '""') + '"'


def normalized_sql(column: str) -> str:
    """An id as Dataverse compares it (KPI_SPEC section 1), as SQL on `column`.

    Case-insensitive, braces and surrounding blanks ignored; blank becomes null:
    ' {3F25...} ' -> '3f25...'. The same expression as dbt's `normalize_guid` macro
    (macros/identifiers.sql), so raw's key checks and the privacy filter see ids as staging
    does. Addresses go through it too (lower case, trimmed).
    """
    unbraced = f"replace(replace(cast({column} as varchar), '{{', ''), '}}', '')"
    return f"nullif(lower(trim({unbraced})), '')"


def quote_literal(text: str) -> str:
    """A DuckDB string literal in single quotes, inner quotes doubled: `it's` -> `'it''s'`."""
    return "'" + text.replace("'", "''") + "'"
