"""Extract one contract table from a Dataverse organisation into raw (full or delta round).

One read per table: the first run (and any run whose delta link can no longer be
trusted) reads the whole entity set with `Prefer: odata.track-changes` and keeps the
`@odata.deltaLink` of its last page; later runs follow that link and receive only rows
created or changed since, plus `$deletedEntity` entries for rows deleted since. A table
that refuses change tracking is read in full on every run. `activityparty` has its own
path (orchestration.sources.dataverse.parties).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from orchestration.contract import TableContract
from orchestration.sources.dataverse.client import DataverseClient
from orchestration.sources.dataverse.errors import DataverseError, DeltaLinkExpired
from orchestration.sources.dataverse.load import (
    MODE_EXPIRED,
    MODE_FULL,
    MODE_INCREMENTAL,
    MODE_UNTRACKED,
    SOURCE_PREFIX,
    Connect,
    DataverseExtract,
    load_spool,
    usable_link,
)
from orchestration.sources.dataverse.merge import incremental_sql
from orchestration.sources.dataverse.parties import extract_activity_parties
from orchestration.sources.dataverse.schema import ENTITY_SPECS, EntitySpec
from orchestration.sources.dataverse.spool import Read, Spool, read_into
from orchestration.sources.state import DeltaLink, read_delta_link


def extract_table(
    connect: Connect,
    contract: TableContract,
    client: DataverseClient,
    *,
    log: Any = None,
    allow_empty: bool = False,
    into: str | None = None,
) -> DataverseExtract:
    """Bring `raw.<table>` up to date with the organisation (see the module docstring).

    `connect()` opens the warehouse (a context manager); it is called twice, briefly:
    to read the stored delta link and to load. Raises DataverseError (network, HTTP,
    malformed page) or LandingDataError (a value that breaks the contract), and in both
    cases leaves raw and the stored delta link as they were. `allow_empty`: a full read
    may empty a table that holds rows (RA_ALLOW_EMPTY_TABLES). With `into`, the rows go to
    `raw.<into>` and the new links come back in `pending_links` (stored by the swap).
    """
    log = log or logging.getLogger(__name__)
    if contract.name == "activityparty":
        return extract_activity_parties(connect, contract, client, log, allow_empty, into)
    spec = ENTITY_SPECS[contract.name]
    requests_before = client.requests
    with connect() as connection:
        link = read_delta_link(connection, contract.name)
        usable = usable_link(connection, link, client, spec.query, contract.name)

    with tempfile.TemporaryDirectory(prefix="ra-dataverse-") as folder:
        read: Read | None = None
        mode = MODE_FULL
        if usable:
            spool = Spool(Path(folder) / "delta", spec.columns)
            source = f"{SOURCE_PREFIX}{spec.entity_set} delta"
            try:
                read, _ = read_into(
                    client,
                    spec,
                    link.delta_link,
                    spool,
                    track_changes=False,
                    source=source,
                    what=f"{spec.entity_set} (changes)",
                )
                mode = MODE_INCREMENTAL
            except DeltaLinkExpired as error:
                log.warning(f"{error}; reading {spec.entity_set} in full instead")
                mode = MODE_EXPIRED
            finally:
                spool.close()
        if read is None:
            source = f"{SOURCE_PREFIX}{spec.entity_set}"
            read, mode, spool = _read_all(client, spec, Path(folder), source, mode, log)

        delta_link = read.delta_link
        result, pending = load_spool(
            connect,
            contract,
            spool,
            spec,
            incremental_sql if mode == MODE_INCREMENTAL else None,
            source,
            read,
            lambda rows: (
                [DeltaLink(contract.name, client.service_root, spec.query, delta_link, rows)]
                if delta_link
                else []
            ),
            [contract.name],
            client.redact,
            allow_empty,
            into,
        )
    return DataverseExtract(
        result,
        mode,
        read.rows,
        read.deleted,
        read.pages,
        client.requests - requests_before,
        pending_links=pending,
    )


def _read_all(
    client: DataverseClient, spec: EntitySpec, folder: Path, source: str, mode: str, log: Any
) -> tuple[Read, str, Spool]:
    """Read the whole entity set with change tracking; without, if the table refuses it."""
    url = f"{client.service_root}/{spec.query}"
    what = f"{spec.entity_set} (full read)"
    spool = Spool(folder / "full", spec.columns)
    try:
        read, _ = read_into(client, spec, url, spool, track_changes=True, source=source, what=what)
        return read, mode, spool
    except DataverseError as error:
        message = str(error).lower()
        if error.status != 400 or "track" not in message or "change" not in message:
            raise
        log.warning(f"{error}; reading {spec.entity_set} in full on every run")
    finally:
        spool.close()
    # Reached only when the table refused change tracking: read again, plainly, into a
    # fresh spool (the refused read may have spooled nothing or part of a page).
    spool = Spool(folder / "untracked", spec.columns)
    try:
        read, _ = read_into(client, spec, url, spool, track_changes=False, source=source, what=what)
    finally:
        spool.close()
    return read, MODE_UNTRACKED, spool
