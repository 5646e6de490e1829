"""The marts' data dictionary, taken from dbt and carried into the exports.

Every mart and column description is written once, in the models' YAML and docs blocks
(dbt_project/models/marts/**/_*__models.yml, _*__docs.md); `dbt parse` renders the
`{{ doc(...) }}` blocks into target/manifest.json. This module reads them from there so the
exports say the same: `manifest.json` lists them next to each column, and the BI file holds
them as DuckDB comments (`COMMENT ON TABLE` / `COMMENT ON COLUMN`), which BI tools and
`duckdb_tables()` / `duckdb_columns()` show. A description changed in dbt reaches the
exports at the next run, with no second copy to keep in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class MartDescription:
    """A mart's description and its columns' ({column: description}), stripped; a column
    without a description in dbt is absent from `columns`."""

    mart: str
    description: str
    columns: Mapping[str, str] = field(default_factory=dict)


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def mart_descriptions(manifest: Mapping[str, object]) -> dict[str, MartDescription]:
    """{mart: MartDescription} for every model under models/marts in dbt's manifest.

    Whitespace runs (the line breaks of YAML's folded blocks) become one space, so a
    description reads as one paragraph in a BI tool's tooltip and in manifest.json.
    """
    nodes: Mapping[str, Mapping] = manifest["nodes"]  # type: ignore[assignment]
    descriptions = {}
    for node in nodes.values():
        if node["resource_type"] != "model" or node["fqn"][1] != MARTS_SCHEMA:
            continue
        columns = {
            name: _text(column.get("description"))
            for name, column in (node.get("columns") or {}).items()
            if _text(column.get("description"))
        }
        descriptions[node["name"]] = MartDescription(
            node["name"], _text(node.get("description")), columns
        )
    return descriptions


def undescribed(description: MartDescription, columns: Sequence[str]) -> list[str]:
    """'<mart>' and '<mart>.<column>' for the mart and each of `columns` lacking a
    description (empty when every one has one)."""
    missing = [] if description.description else [description.mart]
    missing += [f"{description.mart}.{name}" for name in columns if name not in description.columns]
    return missing


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def comment_statements(
    description: MartDescription,
    columns: Sequence[str],
    schema: str = MARTS_SCHEMA,
    catalog: str | None = None,
) -> list[str]:
    """`COMMENT ON TABLE` and `COMMENT ON COLUMN` statements for one mart's table
    (<schema>.<mart>, or <catalog>.<schema>.<mart> in an attached database).

    `columns` are the table's columns: a description of a column the table lacks (dbt and
    the warehouse out of step) is left out instead of failing the export; a column without
    a description gets no comment.
    """
    table = f"{_identifier(schema)}.{_identifier(description.mart)}"
    if catalog:
        table = f"{_identifier(catalog)}.{table}"
    statements = []
    if description.description:
        statements.append(f"comment on table {table} is {_sql_string(description.description)}")
    statements += [
        f"comment on column {table}.{_identifier(name)} is {_sql_string(description.columns[name])}"
        for name in columns
        if name in description.columns
    ]
    return statements
