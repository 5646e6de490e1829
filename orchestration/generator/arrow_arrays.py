"""Numpy codes to Arrow arrays: text looked up by index, joined text, and timestamps,
dates, integers and booleans whose nulls are the NULL marker of sampling.py (or an index
below 0).

Shared by the table builders (spelling.py, entity_tables.py, activity_tables.py,
party_table.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .sampling import NULL


def word_array(words) -> pa.Array:
    """An iterable of strings as an Arrow string array (a lookup table for `take_or_null`)."""
    return pa.array(list(words), type=pa.string())


def take_or_null(values: pa.Array, index: np.ndarray) -> pa.Array:
    """values[index], null where index < 0."""
    index = np.asarray(index, dtype=np.int64)
    missing = index < 0
    if missing.any():
        return values.take(pa.array(np.where(missing, 0, index), mask=missing))
    return values.take(pa.array(index))


def join_text(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars (no separator)."""
    return pc.binary_join_element_wise(*parts, "")


def timestamps(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds (NULL marker = null) as naive UTC microsecond timestamps."""
    seconds = np.asarray(seconds, dtype=np.int64)
    missing = seconds == NULL
    micros = np.where(missing, 0, seconds) * 1_000_000
    return pa.array(micros, type=pa.timestamp("us"), mask=missing if missing.any() else None)


def dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    missing = days == NULL
    return pa.array(
        np.where(missing, 0, days).astype(np.int32),
        type=pa.date32(),
        mask=missing if missing.any() else None,
    )


def integers(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    missing = values == NULL
    return pa.array(
        np.where(missing, 0, values).astype(np.int32),
        type=pa.int32(),
        mask=missing if missing.any() else None,
    )


def booleans(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_(), mask=missing)
