"""Deterministic, vectorised identifiers and strings built without Python objects per row.

Every identifier is a pure function of (seed, namespace, integer index). A GUID can thus be
recomputed wherever it is needed (a chunk of activity parties, a reply pointing at its
parent's message id) instead of holding ten million Python strings in memory. Strings are
assembled as byte matrices in numpy and handed to Arrow as buffers.
"""

from __future__ import annotations

import binascii
import hashlib

import numpy as np
import pyarrow as pa

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_DASH = ord("-")
_GUID_GROUPS = (8, 4, 4, 4, 12)


def _mix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, in place: a bijection on uint64 (distinct stay distinct)."""
    z ^= z >> np.uint64(30)
    z *= _MIX_1
    z ^= z >> np.uint64(27)
    z *= _MIX_2
    z ^= z >> np.uint64(31)
    return z


def _namespace_keys(seed: int, namespace: str, n_words: int) -> np.ndarray:
    digest = hashlib.blake2b(f"{seed}/{namespace}".encode(), digest_size=8 * n_words).digest()
    return np.frombuffer(digest, dtype="<u8").astype(np.uint64)


def hash_words(seed: int, namespace: str, index: np.ndarray, n_words: int) -> np.ndarray:
    """(n, n_words) pseudo-random uint64 words for integer indexes.

    Word k is mix(index * golden + key_k): an odd multiplier, an offset and the mix are
    all bijections, so within one namespace every word column alone is unique per index.
    That makes GUID collisions impossible, not merely improbable.
    """
    idx = np.asarray(index).astype(np.uint64, copy=False)
    keys = _namespace_keys(seed, namespace, n_words)
    out = np.empty((idx.size, n_words), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n_words):
            out[:, k] = _mix(idx * _GOLDEN + keys[k])
    return out


def hex_chars(words: np.ndarray, n_chars: int) -> np.ndarray:
    """(n, n_chars) ASCII hex digits (lower case) from hash words."""
    raw = np.ascontiguousarray(words).view(np.uint8).reshape(words.shape[0], -1)
    n_bytes = (n_chars + 1) // 2
    raw = np.ascontiguousarray(raw[:, :n_bytes])
    # One C call spells the whole buffer (numpy fancy indexing is several times slower).
    digits = np.frombuffer(binascii.hexlify(raw.data), dtype=np.uint8)
    return digits.reshape(raw.shape[0], 2 * n_bytes)[:, :n_chars]


def hash_hex(seed: int, namespace: str, index: np.ndarray, n_chars: int) -> np.ndarray:
    """(n, n_chars) hex digits, deterministic per (seed, namespace, index)."""
    return hex_chars(hash_words(seed, namespace, index, (n_chars + 15) // 16), n_chars)


def guid_chars(seed: int, namespace: str, index: np.ndarray) -> np.ndarray:
    """(n, 36) ASCII bytes of lower-case 8-4-4-4-12 GUIDs."""
    digits = hash_hex(seed, namespace, index, 32)
    out = np.full((digits.shape[0], 36), _DASH, dtype=np.uint8)
    source = target = 0
    for width in _GUID_GROUPS:
        out[:, target : target + width] = digits[:, source : source + width]
        source += width
        target += width + 1
    return out


def strings_from_chars(
    chars: np.ndarray, lengths: np.ndarray | None = None, valid: np.ndarray | None = None
) -> pa.Array:
    """An Arrow string array from a byte matrix, row i holding its first lengths[i] bytes.

    Rows where `valid` is False are null (their bytes stay in the buffer, which Arrow
    allows and which spares a compaction pass).
    """
    chars = np.ascontiguousarray(chars, dtype=np.uint8)
    n, width = chars.shape
    if lengths is None:
        data = chars.reshape(-1)
        offsets = np.arange(n + 1, dtype=np.int64) * width
    else:
        lengths = np.asarray(lengths, dtype=np.int64)
        data = chars[np.arange(width) < lengths[:, None]]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
    return strings_from_buffers(data, offsets, valid)


def strings_from_buffers(
    data: np.ndarray, offsets: np.ndarray, valid: np.ndarray | None = None
) -> pa.Array:
    """An Arrow string array from a byte buffer and n + 1 offsets."""
    n = offsets.size - 1
    bitmap, null_count = None, 0
    if valid is not None and not np.all(valid):
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
        null_count = int(n - np.count_nonzero(valid))
    if offsets[-1] < np.iinfo(np.int32).max:
        return pa.StringArray.from_buffers(
            n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data), bitmap, null_count
        )
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(data), bitmap, null_count
    )


def framed_guid_chars(
    seed: int, namespace: str, index: np.ndarray, prefix: bytes, suffix: bytes
) -> np.ndarray:
    """(n, len(prefix) + 36 + len(suffix)) bytes: GUIDs wrapped, e.g. as <guid@host>."""
    guid = guid_chars(seed, namespace, index)
    out = np.empty((guid.shape[0], len(prefix) + 36 + len(suffix)), dtype=np.uint8)
    out[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    out[:, len(prefix) : len(prefix) + 36] = guid
    out[:, len(prefix) + 36 :] = np.frombuffer(suffix, dtype=np.uint8)
    return out


def guid_array(seed: int, namespace: str, index: np.ndarray) -> pa.Array:
    """Arrow strings of the GUIDs of `index` in `namespace`."""
    return strings_from_chars(guid_chars(seed, namespace, np.asarray(index)))


def uniform(seed: int, namespace: str, index: np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1) keyed by index, for choices that must not consume an RNG."""
    words = hash_words(seed, namespace, index, 1)[:, 0]
    return (words >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
