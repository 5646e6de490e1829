"""Write contract tables as Parquet or CSV, whole or chunk by chunk.

Chunks of one table go to one file (Parquet row groups, or CSV rows under one header) or,
for a folder table, to part files `<table>/part-0000.<ext>`. Output bytes depend only on
the data, so a rerun with the same arguments reproduces every file exactly.
"""

from __future__ import annotations

import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..contract import BOOLEAN, DATE, DOUBLE, INTEGER, TABLES, TIMESTAMP, VARCHAR

FORMATS = ("parquet", "csv")
ARROW_TYPES = {
    VARCHAR: pa.string(),
    BOOLEAN: pa.bool_(),
    INTEGER: pa.int32(),
    DOUBLE: pa.float64(),
    TIMESTAMP: pa.timestamp("us"),
    DATE: pa.date32(),
}
PARQUET_COMPRESSION = "zstd"
# Columns holding (nearly) unique ids or text: Parquet dictionaries and min/max statistics
# would cost half the write time and buy nothing for them.
HIGH_CARDINALITY = frozenset(
    {"activityid", "activitypartyid", "messageid", "inreplyto", "conversationindex"}
)


def contract_schema(table: str, columns: dict[str, pa.Array]) -> pa.Schema:
    """The contract's columns in contract order, then any extra columns as generated."""
    required = TABLES[table].columns
    missing = [name for name in required if name not in columns]
    if missing:
        raise ValueError(f"generator bug: {table} lacks contract columns {missing}")
    fields = [pa.field(name, ARROW_TYPES[kind]) for name, kind in required.items()]
    fields += [
        pa.field(name, array.type) for name, array in columns.items() if name not in required
    ]
    return pa.schema(fields)


def to_table(table: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = contract_schema(table, columns)
    return pa.table([columns[f.name].cast(f.type) for f in schema], schema=schema)


def _csv_ready(table: pa.Table) -> pa.Table:
    """ISO-8601 timestamps with Z; dates, booleans (true/false) and numbers as Arrow writes."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(field.type):
            column = pc.strftime(column.cast(pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%SZ")
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def clear_table(out_dir: Path, table: str) -> None:
    """Remove an earlier run's output of this table so no stale file or folder remains."""
    for ext in FORMATS:
        (out_dir / f"{table}.{ext}").unlink(missing_ok=True)
    folder = out_dir / table
    if folder.is_dir():
        shutil.rmtree(folder)


def parquet_options(schema: pa.Schema) -> dict:
    """Dictionary-encode repetitive strings; statistics for non-string columns only."""
    strings = [f.name for f in schema if pa.types.is_string(f.type)]
    return {
        "compression": PARQUET_COMPRESSION,
        "use_dictionary": [
            name for name in strings if name not in HIGH_CARDINALITY and not name.endswith("id")
        ]
        + [name for name in ("ownerid", "partyid", "regardingobjectid") if name in strings],
        "write_statistics": [f.name for f in schema if f.name not in strings],
    }


class TableWriter:
    """Receives one table's chunks and writes them as one file or as a folder of parts."""

    def __init__(self, out_dir: Path, table: str, fmt: str, as_folder: bool = False):
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        self.out_dir, self.table, self.fmt, self.as_folder = out_dir, table, fmt, as_folder
        self.rows = 0
        self._parts = 0
        self._writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
        clear_table(out_dir, table)
        if as_folder:
            (out_dir / table).mkdir(parents=True)

    def prepare(self, columns: dict[str, pa.Array]) -> pa.Table:
        """Contract order and types (and CSV text); thread-safe, so done in workers."""
        chunk = to_table(self.table, columns)
        return _csv_ready(chunk) if self.fmt == "csv" else chunk

    def write(self, chunk: pa.Table) -> None:
        """Append a prepared chunk; called in chunk order from a single thread."""
        self.rows += chunk.num_rows
        if self.as_folder:
            path = self.out_dir / self.table / f"part-{self._parts:04d}.{self.fmt}"
            self._parts += 1
            if self.fmt == "parquet":
                pq.write_table(chunk, path, **parquet_options(chunk.schema))
            else:
                pa_csv.write_csv(chunk, path)
            return
        if self._writer is None:
            path = self.out_dir / f"{self.table}.{self.fmt}"
            if self.fmt == "parquet":
                self._writer = pq.ParquetWriter(path, chunk.schema, **parquet_options(chunk.schema))
            else:
                self._writer = pa_csv.CSVWriter(path, chunk.schema)
        self._writer.write_table(chunk)

    def close(self) -> int:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.rows


class ChunkPipeline:
    """Builds chunks in worker threads while the calling thread writes them, in order.

    numpy, Arrow compute and the Parquet writer release the GIL, so on two cores one chunk
    is spelled while the previous one is compressed. At most `workers + 1` chunks are in
    memory at once; the output does not depend on thread timing.
    """

    def __init__(self, workers: int = 2):
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="generator")

    def __enter__(self) -> ChunkPipeline:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(
        self, writer: TableWriter, builders: Iterable[Callable[[], dict[str, pa.Array]]]
    ) -> None:
        pending: deque[Future[pa.Table]] = deque()
        for build in builders:
            pending.append(self._pool.submit(lambda b=build: writer.prepare(b())))
            if len(pending) > self.workers:
                writer.write(pending.popleft().result())
        while pending:
            writer.write(pending.popleft().result())

    def write_table(
        self,
        out_dir: Path,
        table: str,
        fmt: str,
        builders: Iterable[Callable[[], dict[str, pa.Array]]],
        as_folder: bool = False,
    ) -> int:
        writer = TableWriter(out_dir, table, fmt, as_folder)
        try:
            self.run(writer, builders)
        finally:
            rows = writer.close()
        return rows


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """Row ranges of at most `size` rows; one empty range for an empty table."""
    if total == 0:
        yield 0, 0
    for lo in range(0, total, size):
        yield lo, min(lo + size, total)
