"""The activity-party path: `activityparty` has no change tracking and no `modifiedon`.

Its extract keeps its own delta links on emails, appointments and phone calls (selecting
only `activityid`) and re-reads, in batches filtered on `_activityid_value`, the parties
of every activity created, changed or deleted since; the parties of other activities are
kept. Editing an activity's parties (to, cc, attendees) changes the activity row, so it
shows up in the activity's change feed. A first run, or an expired link, reads all
parties (after taking the links, so a party changed meanwhile shows up next run).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow.parquet as pq

from orchestration.contract import TableContract
from orchestration.sources.dataverse.client import DataverseClient
from orchestration.sources.dataverse.errors import DataverseError, DeltaLinkExpired
from orchestration.sources.dataverse.load import (
    MODE_EXPIRED,
    MODE_FULL,
    MODE_INCREMENTAL,
    SOURCE_PREFIX,
    Connect,
    DataverseExtract,
    load_spool,
    usable_link,
)
from orchestration.sources.dataverse.merge import parties_sql
from orchestration.sources.dataverse.schema import ENTITY_SPECS, GUID, EntitySpec, Field
from orchestration.sources.dataverse.spool import Read, Spool, read_into
from orchestration.sources.state import DeltaLink, read_delta_link

ACTIVITY_ENTITY_SETS = ("emails", "appointments", "phonecalls")
PARTY_FILTER_BATCH = 50  # activity ids per $filter: ~3 KB of URL, far below the limits


def activity_ids_spec(entity_set: str) -> EntitySpec:
    return EntitySpec(
        "activityparty", entity_set, "activityid", (Field("activityid", "activityid"),)
    )


def party_filters(activity_ids: Sequence[str]) -> Iterator[str]:
    ids = sorted(set(activity_ids))
    for start in range(0, len(ids), PARTY_FILTER_BATCH):
        batch = ids[start : start + PARTY_FILTER_BATCH]
        yield " or ".join(f"_activityid_value eq {activity_id}" for activity_id in batch)


def extract_activity_parties(
    connect: Connect,
    contract: TableContract,
    client: DataverseClient,
    log: Any,
    allow_empty: bool,
    into: str | None,
) -> DataverseExtract:
    spec = ENTITY_SPECS["activityparty"]
    streams = {entity_set: f"activityparty:{entity_set}" for entity_set in ACTIVITY_ENTITY_SETS}
    id_specs = {entity_set: activity_ids_spec(entity_set) for entity_set in ACTIVITY_ENTITY_SETS}
    requests_before = client.requests
    with connect() as connection:
        links = {es: read_delta_link(connection, stream) for es, stream in streams.items()}
        usable = all(
            usable_link(connection, links[es], client, id_specs[es].query, contract.name)
            for es in ACTIVITY_ENTITY_SETS
        )

    with tempfile.TemporaryDirectory(prefix="ra-dataverse-") as folder:
        mode = MODE_FULL
        new_links: dict[str, str | None] = {}
        changed: list[str] = []
        if usable:
            try:
                for entity_set in ACTIVITY_ENTITY_SETS:
                    ids, new_links[entity_set] = read_activity_ids(
                        client,
                        id_specs[entity_set],
                        links[entity_set].delta_link,
                        Path(folder) / f"ids-{entity_set}",
                        track_changes=False,
                    )
                    changed += ids
                mode = MODE_INCREMENTAL
            except DeltaLinkExpired as error:
                log.warning(f"{error}; reading every activity party instead")
                mode, new_links, changed = MODE_EXPIRED, {}, []
        if mode != MODE_INCREMENTAL:
            # Links first: a party changed while all parties are read shows up next run.
            for entity_set in ACTIVITY_ENTITY_SETS:
                _, new_links[entity_set] = read_activity_ids(
                    client,
                    id_specs[entity_set],
                    f"{client.service_root}/{id_specs[entity_set].query}",
                    Path(folder) / f"all-ids-{entity_set}",
                    track_changes=True,
                )

        spool = Spool(Path(folder) / "parties", spec.columns)
        source = f"{SOURCE_PREFIX}{spec.entity_set}"
        source += " delta" if mode == MODE_INCREMENTAL else ""
        position = 0
        read = Read(None, 0, 0, 0, [])
        try:
            if mode == MODE_INCREMENTAL:
                for number, condition in enumerate(party_filters(changed), start=1):
                    url = f"{client.service_root}/{spec.query}&$filter={quote(condition, safe='')}"
                    batch, position = read_into(
                        client,
                        spec,
                        url,
                        spool,
                        track_changes=False,
                        source=source,
                        what=f"{spec.entity_set} of changed activities (batch {number})",
                        position=position,
                    )
                    read.pages += batch.pages
                    read.rows += batch.rows
                    read.page_starts += batch.page_starts
                spool.add_keys(sorted(set(changed)), [0] * len(set(changed)))
            else:
                read, position = read_into(
                    client,
                    spec,
                    f"{client.service_root}/{spec.query}",
                    spool,
                    track_changes=False,
                    source=source,
                    what=f"{spec.entity_set} (full read)",
                )
        finally:
            spool.close()

        complete = all(new_links.get(es) for es in ACTIVITY_ENTITY_SETS)
        result, pending = load_spool(
            connect,
            contract,
            spool,
            spec,
            parties_sql if mode == MODE_INCREMENTAL else None,
            source,
            read,
            lambda rows: (
                [
                    DeltaLink(
                        streams[es], client.service_root, id_specs[es].query, new_links[es], rows
                    )
                    for es in ACTIVITY_ENTITY_SETS
                ]
                if complete
                else []
            ),
            list(streams.values()),
            client.redact,
            allow_empty,
            into,
        )
    return DataverseExtract(
        result,
        mode,
        read.rows,
        None,
        read.pages,
        client.requests - requests_before,
        activities_rechecked=len(set(changed)) if mode == MODE_INCREMENTAL else None,
        pending_links=pending,
    )


def read_activity_ids(
    client: DataverseClient, spec: EntitySpec, url: str, folder: Path, *, track_changes: bool
) -> tuple[list[str], str | None]:
    """Ids of the activities in a feed (changed and deleted alike) and its next delta link."""
    spool = Spool(folder, spec.columns)
    try:
        read, _ = read_into(
            client,
            spec,
            url,
            spool,
            track_changes=track_changes,
            source=f"{SOURCE_PREFIX}{spec.entity_set}",
            what=f"{spec.entity_set} (activity ids)",
        )
    finally:
        spool.close()
    if track_changes:
        return [], read.delta_link  # a first read: only its delta link is wanted
    changed = pq.read_table(spool.rows_path, columns=["activityid"]).column(0).to_pylist()
    deleted = pq.read_table(spool.keys_path, columns=["key"]).column(0).to_pylist()
    ids = [key.lower() for key in changed + deleted if key]
    bad = next((key for key in ids if not GUID.fullmatch(key)), None)
    if bad is not None:
        raise DataverseError(
            f"dataverse extract failed: table 'activityparty': {spec.entity_set} returned "
            f"an activity id that is not a GUID: {client.redact.excerpt(bad, 60)!r}",
            table="activityparty",
        )
    return ids, read.delta_link
