"""Spooling Web API pages to Parquet while they arrive, so the warehouse stays unlocked.

A network read can take minutes; DuckDB's write lock blocks every other process (BI
readers included) for as long as it is held. Rows are therefore written, page by page,
to `rows.parquet` (contract columns as text, plus `_source_file` and `_source_row`) and
the ids of deleted entries to `keys.parquet` (`key`, `_source_row`) in a temporary
folder; the warehouse is opened only at the end, to load (orchestration.sources.dataverse.load).
`_source_row` counts entries across the whole feed (1-based), so a later entry for the
same key wins and a bad value is named as "record <n> of the response (page <p>)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.sources.dataverse.client import DataverseClient
from orchestration.sources.dataverse.schema import EntitySpec, deleted_key, entry_values
from orchestration.sources.raw_sql import SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN


class Spool:
    """Rows (contract columns as text) and keys of one read, written page by page."""

    def __init__(self, folder: Path, columns: Sequence[str]) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.columns = tuple(columns)
        self.rows_path = folder / "rows.parquet"
        self.keys_path = folder / "keys.parquet"
        self._row_schema = pa.schema(
            [pa.field(column, pa.string()) for column in self.columns]
            + [pa.field(SOURCE_FILE_COLUMN, pa.string()), pa.field(SOURCE_ROW_COLUMN, pa.int64())]
        )
        self._key_schema = pa.schema(
            [pa.field("key", pa.string()), pa.field(SOURCE_ROW_COLUMN, pa.int64())]
        )
        self._rows = pq.ParquetWriter(self.rows_path, self._row_schema)
        self._keys = pq.ParquetWriter(self.keys_path, self._key_schema)
        self.row_count = 0
        self.key_count = 0

    def add_rows(self, rows: list[list[str | None]], positions: list[int], source: str) -> None:
        if not rows:
            return
        columns = [pa.array(list(values), pa.string()) for values in zip(*rows, strict=True)]
        columns += [pa.array([source] * len(rows), pa.string()), pa.array(positions, pa.int64())]
        self._rows.write_table(pa.Table.from_arrays(columns, schema=self._row_schema))
        self.row_count += len(rows)

    def add_keys(self, keys: Sequence[str], positions: Sequence[int]) -> None:
        if not keys:
            return
        self._keys.write_table(
            pa.Table.from_arrays(
                [pa.array(list(keys), pa.string()), pa.array(list(positions), pa.int64())],
                schema=self._key_schema,
            )
        )
        self.key_count += len(keys)

    def close(self) -> None:
        self._rows.close()
        self._keys.close()


@dataclass
class Read:
    delta_link: str | None
    pages: int
    rows: int
    deleted: int
    page_starts: list[int]


def read_into(
    client: DataverseClient,
    spec: EntitySpec,
    url: str,
    spool: Spool,
    *,
    track_changes: bool,
    source: str,
    what: str,
    position: int = 0,
) -> tuple[Read, int]:
    """Follow `url` page by page into `spool`; deleted entries become keys."""
    read = Read(None, 0, 0, 0, [])
    last: dict[str, Any] = {}
    for _, payload in client.pages(url, track_changes=track_changes, what=what, table=spec.table):
        read.pages += 1
        read.page_starts.append(position + 1)
        rows, row_positions, keys, key_positions = [], [], [], []
        for entry in payload["value"]:
            position += 1
            key = deleted_key(entry)
            if key is None:
                rows.append(entry_values(spec, entry))
                row_positions.append(position)
            else:
                keys.append(key)
                key_positions.append(position)
        spool.add_rows(rows, row_positions, source)
        spool.add_keys(keys, key_positions)
        read.rows += len(rows)
        read.deleted += len(keys)
        last = payload
    read.delta_link = last.get("@odata.deltaLink")
    return read, position
