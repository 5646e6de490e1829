"""Landing CSVs in an encoding other than UTF-8: streamed UTF-8 copies and the error that
names the table, file and line of the first bad byte.

Landing CSVs are UTF-8 unless RA_LANDING_ENCODING names another Python codec (say
`cp1252` for files saved by Excel on Windows). `read_plan` transcodes each such file to a
UTF-8 copy in a temporary folder, 1 MiB at a time with Python's incremental decoders,
before DuckDB reads it, and removes the copies when the load is done; `ReadPlan.unmask`
puts the landing file's name back into any message that names a copy.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestration.sources.files import CSV, LandingFiles
from orchestration.sources.raw_load_errors import LandingDataError, where_text

__all__ = [
    "DEFAULT_ENCODING",
    "ReadPlan",
    "bad_bytes_error",
    "is_utf8",
    "read_plan",
    "transcode_to_utf8",
]

DEFAULT_ENCODING = "utf-8"
_CHUNK_BYTES = 1 << 20


def is_utf8(encoding: str) -> bool:
    """Whether `encoding` (any Python codec name) is UTF-8, with or without a BOM."""
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _encoding_hint(encoding: str) -> str:
    if is_utf8(encoding):
        return (
            "the file is not UTF-8; if it was saved on Windows (Excel), set "
            "RA_LANDING_ENCODING=cp1252 (or the file's encoding), or convert it to UTF-8"
        )
    return (
        f"the file is not {encoding} as RA_LANDING_ENCODING declares; set "
        "RA_LANDING_ENCODING to the file's encoding, or convert it to UTF-8"
    )


def bad_bytes_error(
    table: str, path: Path, line: int, encoding: str, error: str
) -> LandingDataError:
    """The error for bytes not valid in `encoding` at 1-based `line` of `path`, with the
    fix (set RA_LANDING_ENCODING or convert the file)."""
    where = f"line {line}"
    return LandingDataError(
        where_text(table, str(path), None, where)
        + f": bytes that are not valid {encoding} ({error}); {_encoding_hint(encoding)}",
        table=table,
        file=str(path),
        row=where,
    )


def transcode_to_utf8(path: Path, encoding: str, target: Path, table: str) -> None:
    """Copy `path` from `encoding` to UTF-8 at `target`, streaming 1 MiB at a time.

    Raises LandingDataError naming the 1-based line of the first byte that is not valid
    in `encoding` (lines counted on `\\n`, as the file's reader does).
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    with open(path, "rb") as source, open(target, "w", encoding="utf-8", newline="") as out:
        while True:
            chunk = source.read(_CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                start = max(0, min(error.start, len(chunk)))
                before = chunk[:start].decode(encoding, errors="replace")
                line = lines_before + before.count("\n") + 1
                raise bad_bytes_error(table, path, line, encoding, error.reason) from error
            out.write(text)
            lines_before += text.count("\n")
            if not chunk:
                return


@dataclass(frozen=True)
class ReadPlan:
    """Which file DuckDB reads for each landing file (a UTF-8 copy or the file itself)."""

    files: LandingFiles
    read_paths: dict[Path, Path]
    encoding: str

    def unmask(self, text: str) -> str:
        """`text` with every UTF-8 copy's path replaced by the landing file's."""
        for path, copy in self.read_paths.items():
            if copy != path:
                text = text.replace(str(copy), str(path))
        return text


@contextmanager
def read_plan(files: LandingFiles, encoding: str) -> Iterator[ReadPlan]:
    """UTF-8 copies of CSVs in another encoding, removed when the load is done."""
    if files.format != CSV or is_utf8(encoding):
        yield ReadPlan(files, {path: path for path in files.paths}, encoding)
        return
    folder = Path(tempfile.mkdtemp(prefix="ra-landing-utf8-"))
    try:
        read_paths = {}
        for index, path in enumerate(files.paths):
            copy = folder / f"{index}.csv"
            transcode_to_utf8(path, encoding, copy, files.table)
            read_paths[path] = copy
        yield ReadPlan(files, read_paths, encoding)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
