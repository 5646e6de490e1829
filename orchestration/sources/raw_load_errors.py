"""Error texts of the raw load: where a bad value, an unreadable file or a bad key is.

Every message starts "raw load failed: table '<t>', file '<f>', column '<c>', <row>"
(LandingDataError, the error of every source, carries the same parts as fields), so a
person can open the file at that row. `describe(file, row)` words a position: "line 17"
for CSV, "record 12 of the response (page 1)" for the Web API, else "row <n>".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import duckdb

from orchestration.contract import TableContract
from orchestration.sources.raw_conversions import NOT_A, ColumnExpressions
from orchestration.sources.raw_sql import SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN, quote_identifier


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


def default_describe_row(source_file: str, row: int) -> str:
    return f"row {row}"


def where_text(
    table: str, file: str | Sequence[str] | None, column: str | None, position: str | None
) -> str:
    parts = [f"table '{table}'"]
    if isinstance(file, str):
        parts.append(f"file '{file}'")
    elif file:
        parts.append("files " + " and ".join(f"'{name}'" for name in file))
    if column is not None:
        parts.append(f"column '{column}'")
    if position is not None:
        parts.append(position)
    return "raw load failed: " + ", ".join(parts)


def show_value(value: object) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "..."


def raise_bad_values(
    connection: duckdb.DuckDBPyConnection,
    contract: TableContract,
    source: str,
    expressions: dict[str, ColumnExpressions],
    source_names: dict[str, str],
    describe: Callable[[str, int], str],
) -> None:
    """One scan: the first bad value of every typed column; raise for the earliest."""
    table = contract.name
    file_sql = quote_identifier(source_names[SOURCE_FILE_COLUMN])
    row_sql = quote_identifier(source_names[SOURCE_ROW_COLUMN])
    checked = [column for column, parts in expressions.items() if parts.bad is not None]
    if not checked:
        return
    aggregates = [
        f"min({{'f': {file_sql}, 'r': {row_sql}, "
        f"'v': cast({quote_identifier(source_names[column])} as VARCHAR)}}) "
        f"filter (where {expressions[column].bad})"
        for column in checked
    ]
    try:
        first_bad = connection.execute(f"select {', '.join(aggregates)} from {source}").fetchone()
    except duckdb.Error as error:
        raise _read_error(table, error) from error

    problems: list[tuple[tuple[str, int], LandingDataError]] = []
    for column, hit in zip(checked, first_bad, strict=True):
        if hit is None:
            continue
        where = describe(hit["f"], hit["r"])
        value = show_value(hit["v"])
        problems.append(
            (
                (hit["f"], hit["r"]),
                LandingDataError(
                    where_text(table, hit["f"], column, where)
                    + f": value '{value}' {NOT_A[contract.columns[column]]}",
                    table=table,
                    file=hit["f"],
                    column=column,
                    row=where,
                    value=value,
                ),
            )
        )
    if problems:
        problems.sort(key=lambda item: item[0])
        first = problems[0][1]
        if len(problems) > 1:
            others = "\n".join(f"  also: {error}" for _, error in problems[1:])
            first.args = (f"{first}\n{others}",)
        raise first


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _read_error(table: str, error: duckdb.Error) -> LandingDataError:
    """Word DuckDB's reader error; a CSV error keeps its file, line and reason."""
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    file = re.search(r"^\s*file = (.+)$", text, re.MULTILINE)
    if line and file:
        details = [part.strip() for part in text.split("Possible fixes:")[0].splitlines()]
        reason = [part for part in details if part][-1]
        where = f"line {line.group(1)}"
        return LandingDataError(
            where_text(table, file.group(1).strip(), None, where) + f": {reason}",
            table=table,
            file=file.group(1).strip(),
            row=where,
        )
    return LandingDataError(
        f"raw load failed: table '{table}': the source could not be read: {first_line(error)}",
        table=table,
    )


def raise_duplicate(
    contract: TableContract,
    describe: Callable[[str, int], str],
    key_value: object,
    modifiedon: object,
    first_at: dict,
    last_at: dict,
    other_spelling: object = None,
) -> None:
    """Raise the error for a key that repeats with nothing to choose the newest row by.

    `other_spelling`: a second spelling of the same id ('{ABC}' for 'abc'), named too.
    """
    table = contract.name
    first_where = describe(first_at["f"], first_at["r"])
    last_where = describe(last_at["f"], last_at["r"])
    if first_at["f"] == last_at["f"]:
        files: str | tuple[str, str] = first_at["f"]
        where = f"{first_where} and {last_where}"
    else:
        files = (first_at["f"], last_at["f"])
        where = f"{first_where} (first file) and {last_where} (second file)"
    spelt = ""
    if other_spelling is not None and other_spelling != key_value:
        spelt = f" (also spelt '{show_value(other_spelling)}': ids ignore case and braces)"
    if contract.has_modifiedon:
        same = f" with the same modifiedon '{modifiedon}'"
    else:
        same = " (the table has no modifiedon, so every key must be unique)"
    raise LandingDataError(
        where_text(table, files, contract.primary_key, where)
        + f": duplicate primary key '{show_value(key_value)}'{spelt}{same}",
        table=table,
        file=first_at["f"],
        column=contract.primary_key,
        row=where,
        value=str(key_value),
    )
