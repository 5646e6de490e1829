"""The erasure register and audit log: files in RA_PRIVACY_DIR, holding no personal data.

    <privacy dir>/salt         32 random bytes as hex, made on first use (mode 0600)
    <privacy dir>/erased.txt   one salted SHA-256 hash a line: ids and addresses erased
    <privacy dir>/audit.jsonl  one JSON object a line per erasure: time, hash, rows removed

The register lives beside the warehouse, not in it, so a warehouse rebuilt from scratch
still keeps erased people out (the extract reads the register every run). A hash is
`sha256(salt || normalised value)`: ids as Dataverse compares them (trim, no braces,
lower case), addresses trimmed and lower-cased; the same expression runs in DuckDB
(`hash_sql`), so raw rows are matched without the register ever holding a plain value.
Without the salt a hash cannot be tested against a list of known addresses.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration.sources.raw_sql import normalized_sql, quote_literal

SALT_FILE = "salt"
ERASED_FILE = "erased.txt"
AUDIT_FILE = "audit.jsonl"


def normalize_person(value: str) -> str:
    """An id or an address as every comparison reads it (staging's normalize_guid for ids).

    ' {3F25...} ' -> '3f25...'; ' Ann@Example.COM ' -> 'ann@example.com'.
    Raises ValueError for an empty value.
    """
    text = value.strip().replace("{", "").replace("}", "").strip().lower()
    if not text:
        raise ValueError("a person to erase or exclude is empty: give an id or an address")
    return text


def person_hash(salt: str, value: str) -> str:
    """The register's hash of an id or an address: hex sha256 of salt + normalised value."""
    return hashlib.sha256((salt + normalize_person(value)).encode("utf-8")).hexdigest()


def hash_sql(salt: str, column: str) -> str:
    """The SQL of person_hash on a column (DuckDB's sha256 of the same UTF-8 text)."""
    return f"sha256({quote_literal(salt)} || {normalized_sql(column)})"


@dataclass(frozen=True)
class ErasureRegister:
    """The register in `folder`; `salt` is read (or made) once."""

    folder: Path
    salt: str

    @classmethod
    def open(cls, folder: Path) -> ErasureRegister:
        """Open the register, making the folder and the salt on first use."""
        folder.mkdir(parents=True, exist_ok=True)
        salt_path = folder / SALT_FILE
        if not salt_path.exists():
            descriptor = os.open(salt_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
        salt = salt_path.read_text().strip()
        if len(salt) != 64:
            raise ValueError(
                f"{salt_path} does not hold a 64-character hex salt: restore it from backup "
                "(without it the erased people cannot be recognised and would come back)"
            )
        return cls(folder, salt)

    def hashes(self) -> frozenset[str]:
        """Every hash erased so far (empty when nobody was erased)."""
        path = self.folder / ERASED_FILE
        if not path.exists():
            return frozenset()
        return frozenset(line.strip() for line in path.read_text().splitlines() if line.strip())

    def add(self, values: list[str]) -> list[str]:
        """Register the hashes of `values` (ids and addresses); return them."""
        new = [person_hash(self.salt, value) for value in values]
        known = self.hashes()
        with (self.folder / ERASED_FILE).open("a") as handle:
            for digest in dict.fromkeys(new):
                if digest not in known:
                    handle.write(digest + "\n")
        return new

    def audit(self, at: datetime, person: str, removed: Mapping[str, int]) -> dict:
        """Append one audit line: time, the person's hash, rows removed per table."""
        line = {
            "erased_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "person_hash": person_hash(self.salt, person),
            "rows_removed": dict(sorted(removed.items())),
        }
        with (self.folder / AUDIT_FILE).open("a") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")
        return line
