"""The Dataverse Web API source against a local server that answers like the Web API.

The client is the real one (requests, msal, paging, retries, change tracking, the raw
loader); only the organisation is local (tests/dataverse_server.py), serving a small
generated dataset. Each case checks what lands in raw, and what stays there when a read
fails.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

import dagster as dg
import duckdb
import pyarrow as pa
import pytest
import requests

from orchestration.contract import TABLES
from orchestration.defs.extract import build_extract_asset
from orchestration.defs.resources import RunSettingsResource
from orchestration.generator import generate
from orchestration.generator.output import ARROW_TYPES
from orchestration.settings import Settings
from orchestration.sources import dataverse as dv
from orchestration.sources.dataverse.redaction import secret_forms
from orchestration.sources.files import find_landing_files
from orchestration.sources.landing import load_landing_files
from orchestration.sources.raw_load_errors import LandingDataError
from orchestration.sources.state import read_delta_link
from tests.conftest import SAMPLE_AS_OF, iter_marts, materialize_everything
from tests.dataverse_server import FakeDataverse, Fault, read_generated

TOKEN = "local-bearer-token-5ecret"
SECRET = "local-client-secret-Zq8~x"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dataverse_landing")
    generate(folder, activities=2000, seed=3, end_date="2026-06-30")
    return folder


@pytest.fixture(scope="module")
def files_warehouse(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same data through the files source: what the Dataverse source must match."""
    path = tmp_path_factory.mktemp("files_raw") / "files.duckdb"
    with duckdb.connect(str(path)) as connection:
        for table, contract in TABLES.items():
            load_landing_files(connection, contract, find_landing_files(generated, table))
    return path


@pytest.fixture
def server(generated: Path) -> Iterator[FakeDataverse]:
    with FakeDataverse(read_generated(generated), token=TOKEN, client_secret=SECRET) as fake:
        yield fake


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def connector(path: Path):
    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        connection = duckdb.connect(str(path))
        try:
            yield connection
        finally:
            connection.close()

    return connect


def client_for(server: FakeDataverse, **options) -> dv.DataverseClient:
    redactor = dv.Redactor()
    options.setdefault("page_size", 500)
    return dv.DataverseClient(
        server.base_url, dv.StaticToken(server.token, redactor), redactor, **options
    )


def extract(warehouse: Path, server: FakeDataverse, table: str, **options) -> dv.DataverseExtract:
    with client_for(server, **options) as client:
        return dv.extract_table(connector(warehouse), TABLES[table], client)


def raw_rows(warehouse: Path, table: str, lineage: bool = False) -> list[tuple]:
    columns = list(TABLES[table].columns) + (["_source_file", "_source_row"] if lineage else [])
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            f"select {', '.join(columns)} from raw.{table} order by all"
        ).fetchall()


def expected_rows(server: FakeDataverse, table: str) -> list[tuple]:
    """The organisation's current rows as the contract types them: what raw must hold."""
    rows = server.table(table)
    arrow = pa.table(
        {
            column: pa.array([row.get(column) for row in rows]).cast(ARROW_TYPES[kind])
            for column, kind in TABLES[table].columns.items()
        }
    )
    with duckdb.connect() as connection:
        return connection.from_arrow(arrow).query("t", "select * from t order by all").fetchall()


def state(warehouse: Path, stream: str):
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return read_delta_link(connection, stream)


def any_email(server: FakeDataverse, index: int = 0) -> str:
    return sorted(server.rows["emails"])[index]


# --- mapping ---------------------------------------------------------------------------


def test_every_contract_column_comes_from_a_web_api_property() -> None:
    assert set(dv.ENTITY_SPECS) == set(TABLES)
    for table, spec in dv.ENTITY_SPECS.items():
        assert spec.columns == tuple(TABLES[table].columns), table
    email = dv.ENTITY_SPECS["email"]
    assert email.entity_set == "emails"
    fields = {field.column: field.key for field in email.fields}
    assert fields["regardingobjectid"] == "_regardingobjectid_value"
    assert fields["regardingobjecttypecode"] == (
        "_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname"
    )
    assert fields["ownerid"] == "_ownerid_value"
    assert fields["activityid"] == "activityid"  # the key, not a lookup, on an email
    parties = {field.column: field.key for field in dv.ENTITY_SPECS["activityparty"].fields}
    assert parties["activityid"] == "_activityid_value"
    assert parties["partyobjecttypecode"].startswith("_partyid_value@")
    connection = {field.column: field.key for field in dv.ENTITY_SPECS["connection"].fields}
    assert connection["record2roleid"] == "_record2roleid_value"
    assert connection["record1objecttypecode"].startswith("_record1id_value@")
    # $select names each property once: the type columns reuse their lookup's property.
    assert email.select.count("_regardingobjectid_value") == 1


def test_entry_values_reads_lookups_and_annotations_as_text() -> None:
    spec = dv.ENTITY_SPECS["activityparty"]
    entry = {
        "@odata.etag": 'W/"1"',
        "activitypartyid": "p1",
        "_activityid_value": "a1",
        "_activityid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "email",
        "_partyid_value": "c1",
        "_partyid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "contact",
        "participationtypemask": 2,
        "addressused": None,
    }
    assert dv.entry_values(spec, entry) == ["p1", "a1", "c1", "contact", "2", None]


# --- full reads, paging, parity with the files source ----------------------------------


def test_full_extract_pages_through_every_table_and_matches_the_files_source(
    server: FakeDataverse, warehouse: Path, files_warehouse: Path
) -> None:
    with client_for(server, page_size=500) as client:
        results = {
            table: dv.extract_table(connector(warehouse), contract, client)
            for table, contract in TABLES.items()
        }

    for table in TABLES:
        assert results[table].mode == dv.MODE_FULL, table
        assert raw_rows(warehouse, table) == raw_rows(files_warehouse, table), table
    # 1200 emails in pages of 500: three pages, the first two with a next link.
    assert results["email"].pages == 3
    assert results["email"].load.rows_loaded == 1200
    emails = [
        seen for seen in server.requests_to("emails") if seen.query["$select"] != "activityid"
    ]
    assert len(emails) == 3
    assert "$skiptoken" not in emails[0].query and "$skiptoken" in emails[2].query
    prefer = emails[0].headers["prefer"]
    assert "odata.maxpagesize=500" in prefer and "odata.track-changes" in prefer
    assert 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"' in prefer
    assert emails[0].headers["authorization"] == f"Bearer {TOKEN}"
    # Parties: 6261 rows in 13 pages, read without change tracking, after one delta link
    # per activity table (ids only).
    assert results["activityparty"].pages == 13
    assert "odata.track-changes" not in server.requests_to("activityparties")[0].headers["prefer"]
    assert server.requests_to("phonecalls")[-1].query["$select"] == "activityid"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        streams = connection.execute(
            "select stream, raw_rows from extract_state.delta_links order by 1"
        ).fetchall()
        lineage = connection.execute("select distinct _source_file from raw.email").fetchall()
    assert len(streams) == 13  # ten tables, and parties' three activity streams
    assert ("email", 1200) in streams and ("activityparty:emails", 6261) in streams
    assert lineage == [("dataverse:emails",)]


# --- change tracking -------------------------------------------------------------------


def test_a_delta_round_applies_updates_inserts_and_deletes(
    server: FakeDataverse, warehouse: Path
) -> None:
    extract(warehouse, server, "email")
    changed, deleted = any_email(server, 0), any_email(server, 1)
    server.update("email", changed, subject="Changed subject", opencount=7)
    server.delete("email", deleted)
    new_row = {
        **server.rows["emails"][changed],
        "activityid": "00000000-0000-0000-0000-00000000e1e1",
    }
    server.insert("email", new_row)

    result = extract(warehouse, server, "email")

    assert (result.mode, result.rows_changed, result.rows_deleted) == (dv.MODE_INCREMENTAL, 2, 1)
    assert "$deltatoken" in server.requests_to("emails")[-1].query
    assert raw_rows(warehouse, "email") == expected_rows(server, "email")
    rows = {row[0]: row for row in raw_rows(warehouse, "email", lineage=True)}
    assert len(rows) == 1200 and deleted not in rows
    columns = list(TABLES["email"].columns)
    assert rows[changed][columns.index("subject")] == "Changed subject"
    assert rows[changed][columns.index("opencount")] == 7
    assert rows[changed][-2] == "dataverse:emails delta"
    assert rows[new_row["activityid"]][-2] == "dataverse:emails delta"
    untouched = any_email(server, 5)
    assert rows[untouched][-2] == "dataverse:emails"
    assert state(warehouse, "email").raw_rows == 1200

    # Nothing changed since: an empty delta, raw as it was.
    before = raw_rows(warehouse, "email", lineage=True)
    quiet = extract(warehouse, server, "email")
    assert (quiet.mode, quiet.rows_changed, quiet.rows_deleted) == (dv.MODE_INCREMENTAL, 0, 0)
    assert raw_rows(warehouse, "email", lineage=True) == before


def test_parties_are_re_read_for_changed_and_deleted_activities(
    server: FakeDataverse, warehouse: Path
) -> None:
    extract(warehouse, server, "activityparty")
    parties_before = raw_rows(warehouse, "activityparty", lineage=True)
    changed, deleted = any_email(server, 0), any_email(server, 1)
    new_parties = [
        {
            "activitypartyid": f"00000000-0000-0000-0000-0000000000a{i}",
            "activityid": changed,
            "partyid": party,
            "partyobjecttypecode": kind,
            "participationtypemask": mask,
            "addressused": None,
        }
        for i, (party, kind, mask) in enumerate(
            [(sorted(server.rows["systemusers"])[0], "systemuser", 1),
             (sorted(server.rows["contacts"])[0], "contact", 2)]
        )
    ]  # fmt: skip
    server.set_parties("email", changed, new_parties)
    server.delete("email", deleted)

    result = extract(warehouse, server, "activityparty")

    assert result.mode == dv.MODE_INCREMENTAL
    assert result.activities_rechecked == 2
    assert raw_rows(warehouse, "activityparty") == expected_rows(server, "activityparty")
    filters = [seen.query["$filter"] for seen in server.requests_to("activityparties")[-1:]]
    assert changed in filters[0] and deleted in filters[0]
    after = {row[0]: row for row in raw_rows(warehouse, "activityparty", lineage=True)}
    assert {key for key, row in after.items() if row[1] == changed} == {
        party["activitypartyid"] for party in new_parties
    }
    assert not [row for row in after.values() if row[1] == deleted]
    # Parties of untouched activities are the rows of the first read, lineage included.
    untouched = [row for row in parties_before if row[1] not in (changed, deleted)]
    assert all(after[row[0]] == row for row in untouched)


def test_an_expired_delta_link_means_a_full_resync(server: FakeDataverse, warehouse: Path) -> None:
    for kind, table, stream in (
        ("410", "email", "email"),
        ("stamp", "activityparty", "activityparty:emails"),
    ):
        extract(warehouse, server, table, page_size=5000)
        link_before = state(warehouse, stream)
        server.delete("email", any_email(server, 0))
        server.update("email", any_email(server, 3), subject="After expiry")
        server.expired = kind

        result = extract(warehouse, server, table, page_size=5000)

        assert result.mode == dv.MODE_EXPIRED, kind
        assert raw_rows(warehouse, table) == expected_rows(server, table), kind
        server.expired = None
        link_after = state(warehouse, stream)
        assert link_after.delta_link != link_before.delta_link
        assert extract(warehouse, server, table).mode == dv.MODE_INCREMENTAL


def test_another_writer_of_raw_forces_a_full_read(
    server: FakeDataverse, warehouse: Path, generated: Path
) -> None:
    extract(warehouse, server, "lead")
    with duckdb.connect(str(warehouse)) as connection:  # the files source loads lead
        load_landing_files(connection, TABLES["lead"], find_landing_files(generated, "lead"))
    assert extract(warehouse, server, "lead").mode == dv.MODE_FULL


def test_a_table_without_change_tracking_is_read_in_full_every_run(
    server: FakeDataverse, warehouse: Path
) -> None:
    from tests import dataverse_server

    dataverse_server.UNTRACKED.add("connectionroles")
    try:
        first = extract(warehouse, server, "connectionrole")
        second = extract(warehouse, server, "connectionrole")
    finally:
        dataverse_server.UNTRACKED.discard("connectionroles")
    assert (first.mode, second.mode) == (dv.MODE_UNTRACKED, dv.MODE_UNTRACKED)
    assert raw_rows(warehouse, "connectionrole") == expected_rows(server, "connectionrole")
    assert state(warehouse, "connectionrole") is None


def test_a_full_read_that_finds_nothing_keeps_raw(server: FakeDataverse, warehouse: Path) -> None:
    """Every connection role gone from a full read: suspicious, so raw keeps its rows
    until RA_ALLOW_EMPTY_TABLES says so; a delta round deleting them all is the CRM's word."""
    from tests import dataverse_server

    dataverse_server.UNTRACKED.add("connectionroles")
    try:
        extract(warehouse, server, "connectionrole")
        before = raw_rows(warehouse, "connectionrole")
        for key in list(server.rows["connectionroles"]):
            server.delete("connectionrole", key)
        with pytest.raises(LandingDataError) as failure:
            extract(warehouse, server, "connectionrole")
        assert raw_rows(warehouse, "connectionrole") == before
        with client_for(server) as client:
            emptied = dv.extract_table(
                connector(warehouse), TABLES["connectionrole"], client, allow_empty=True
            )
    finally:
        dataverse_server.UNTRACKED.discard("connectionroles")
    assert str(failure.value).startswith(
        "raw load failed: table 'connectionrole': no rows found in a full read of "
        f"dataverse:connectionroles, but raw.connectionrole holds {len(before)} rows"
    )
    assert (emptied.load.rows_loaded, emptied.load.previous_rows) == (0, len(before))


def test_a_delta_round_may_delete_every_row(server: FakeDataverse, warehouse: Path) -> None:
    extract(warehouse, server, "connectionrole")
    for key in list(server.rows["connectionroles"]):
        server.delete("connectionrole", key)

    result = extract(warehouse, server, "connectionrole")

    assert (result.mode, result.load.rows_loaded) == (dv.MODE_INCREMENTAL, 0)
    assert raw_rows(warehouse, "connectionrole") == []


# --- failures leave raw as it was -------------------------------------------------------


def test_throttling_is_retried_after_retry_after(server: FakeDataverse, warehouse: Path) -> None:
    server.faults.append(
        Fault("emails", when=lambda query: "$skiptoken" in query, status=429,
              headers={"Retry-After": "1"}, body='{"error": {"code": "0x80072322"}}')
    )  # fmt: skip
    started = time.monotonic()
    result = extract(warehouse, server, "email")
    assert time.monotonic() - started >= 1.0
    assert result.requests == 4  # three pages, one of them twice
    assert result.load.rows_loaded == 1200


def test_throttling_past_the_retry_budget_fails_and_leaves_raw_intact(
    server: FakeDataverse, warehouse: Path
) -> None:
    extract(warehouse, server, "email")
    before, link = raw_rows(warehouse, "email", lineage=True), state(warehouse, "email")
    server.update("email", any_email(server), subject="Never arrives")
    server.faults.append(Fault("emails", status=503, headers={"Retry-After": "1"}, times=None))

    with pytest.raises(dv.DataverseError, match="gave up after 3 attempts: HTTP 503") as error:
        extract(warehouse, server, "email", max_retries=2)

    assert error.value.retryable
    assert len(server.requests_to("emails")) == 3 + 3  # the full read, then three attempts
    assert raw_rows(warehouse, "email", lineage=True) == before
    assert state(warehouse, "email") == link


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("<html>502 Bad Gateway</html>", "is not valid JSON"),
        ('{"@odata.context": "emails/$delta"}', "has no 'value' list of rows"),
    ],
)
def test_a_malformed_page_fails_and_leaves_raw_intact(
    server: FakeDataverse, warehouse: Path, body: str, complaint: str
) -> None:
    extract(warehouse, server, "email")
    before, link = raw_rows(warehouse, "email", lineage=True), state(warehouse, "email")
    server.update("email", any_email(server), subject="Arrives next time")
    server.faults.append(Fault("emails", status=200, body=body))

    with pytest.raises(dv.DataverseError, match=complaint):
        extract(warehouse, server, "email")
    assert raw_rows(warehouse, "email", lineage=True) == before
    assert state(warehouse, "email") == link

    # The link was kept, so the next run picks the change up.
    result = extract(warehouse, server, "email")
    assert (result.mode, result.rows_changed) == (dv.MODE_INCREMENTAL, 1)


def test_a_malformed_page_in_a_first_read_creates_no_table(
    server: FakeDataverse, warehouse: Path
) -> None:
    server.faults.append(
        Fault("emails", when=lambda query: "$skiptoken" in query, status=200, body="{")
    )
    with pytest.raises(dv.DataverseError, match="page 2 of emails"):
        extract(warehouse, server, "email")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    assert tables == []


def test_a_bad_value_names_table_column_and_record(server: FakeDataverse, warehouse: Path) -> None:
    extract(warehouse, server, "email")
    before = raw_rows(warehouse, "email", lineage=True)
    server.update("email", any_email(server), senton="last tuesday")
    with pytest.raises(LandingDataError) as error:
        extract(warehouse, server, "email")
    message = str(error.value)
    assert "table 'email'" in message and "column 'senton'" in message
    assert "file 'dataverse:emails delta'" in message
    assert "record 1 of the response (page 1)" in message
    assert "'last tuesday' is not a timestamp" in message
    assert raw_rows(warehouse, "email", lineage=True) == before


def test_links_to_another_host_are_refused(server: FakeDataverse, warehouse: Path) -> None:
    server.faults.append(
        Fault("emails", status=200, body=(
            '{"value": [], "@odata.nextLink": "https://attacker.example/api/data/v9.2/emails"}'
        ))
    )  # fmt: skip
    with pytest.raises(dv.DataverseError, match="refused to follow a link outside"):
        extract(warehouse, server, "email")


# --- secrets ---------------------------------------------------------------------------


def echo_authorization(headers: dict[str, str]) -> str:
    """A misbehaving proxy that puts the request's Authorization header in its error."""
    message = f"bad request, you sent: {headers.get('authorization')}"
    return json.dumps({"error": {"code": "0x0", "message": message}})


def test_failures_never_show_the_token(server: FakeDataverse, warehouse: Path) -> None:
    server.faults.append(Fault("emails", status=400, body=echo_authorization))
    with pytest.raises(dv.DataverseError) as error:
        extract(warehouse, server, "email")
    assert TOKEN not in str(error.value)
    assert "you sent: Bearer ***" in str(error.value)
    assert error.value.__cause__ is None and error.value.__context__ is None

    # A network failure: requests' message names the URL, never the header.
    with client_for(server, max_retries=0) as client:
        client.service_root = "http://127.0.0.1:9/api/data/v9.2"  # nothing listens there
        with pytest.raises(
            dv.DataverseError, match="gave up after 1 attempt: Connection"
        ) as network:
            dv.extract_table(connector(warehouse), TABLES["lead"], client)
    assert TOKEN not in str(network.value) and network.value.__context__ is None


def test_a_failed_asset_shows_neither_token_nor_secret(
    server: FakeDataverse, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.faults.append(Fault("emails", status=400, body=echo_authorization, times=None))
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RA_SOURCE", "dataverse")
    monkeypatch.setenv("RA_DATAVERSE_URL", server.base_url)
    monkeypatch.setenv("RA_DATAVERSE_TOKEN", TOKEN)
    monkeypatch.setenv("RA_DATAVERSE_CLIENT_SECRET", SECRET)

    result = dg.materialize(
        [build_extract_asset(TABLES["email"])],
        resources={"run_settings": RunSettingsResource()},
        raise_on_error=False,
    )

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "HTTP 400" in failure.step_failure_data.user_failure_data.description
    everything = "\n".join(repr(event) for event in result.all_events)
    assert TOKEN not in everything and SECRET not in everything
    settings = Settings.from_env()
    assert TOKEN not in repr(settings) and SECRET not in repr(settings)
    assert settings.dataverse_token == TOKEN  # kept, only not shown


def local_identity(server: FakeDataverse) -> requests.Session:
    """A session that sends https://login.microsoftonline.com/... to the local server."""

    class ToLocal(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            parts = urlsplit(request.url)
            request.url = f"{server.base_url}{parts.path}" + (
                f"?{parts.query}" if parts.query else ""
            )
            return super().send(request, **kwargs)

    identity = requests.Session()
    identity.mount("https://login.microsoftonline.com/", ToLocal())
    return identity


def test_msal_client_credentials_against_local_identity_endpoints(
    server: FakeDataverse, warehouse: Path
) -> None:
    identity = local_identity(server)

    def client_with_secret(secret: str) -> dv.DataverseClient:
        redactor = dv.Redactor()
        tokens = dv.MsalToken(
            "contoso-tenant", server.client_id, secret, server.base_url, redactor,
            http_client=identity,
        )  # fmt: skip
        return dv.DataverseClient(server.base_url, tokens, redactor)

    with client_with_secret(SECRET) as client:
        users = dv.extract_table(connector(warehouse), TABLES["systemuser"], client)
        roles = dv.extract_table(connector(warehouse), TABLES["connectionrole"], client)
    assert (users.load.rows_loaded, roles.load.rows_loaded) == (25, 6)
    (grant,) = server.token_requests  # one token, cached by msal for the second table
    assert grant["grant_type"] == "client_credentials"
    assert grant["scope"] == f"{server.base_url}/.default"
    assert server.requests_to("systemusers")[0].headers["authorization"] == f"Bearer {TOKEN}"

    with (
        pytest.raises(dv.DataverseError) as error,
        client_with_secret("wrong-secret-value") as client,
    ):
        dv.extract_table(connector(warehouse), TABLES["systemuser"], client)
    assert "invalid_client" in str(error.value)
    assert "wrong-secret-value" not in str(error.value)


# --- configuration ---------------------------------------------------------------------


def test_settings_read_the_source() -> None:
    base = {"RA_WAREHOUSE": "/tmp/w.duckdb"}
    assert Settings.from_env(base).source == "files"
    assert Settings.from_env({**base, "RA_SOURCE": " Dataverse "}).source == "dataverse"
    assert Settings.from_env({**base, "RA_SOURCE": "synapse_link"}).source == "synapse_link"
    with pytest.raises(ValueError, match="RA_SOURCE='crm' is not one of files, dataverse"):
        Settings.from_env({**base, "RA_SOURCE": "crm"})
    settings = Settings.from_env(
        {**base, "RA_DATAVERSE_TOKEN": f"{TOKEN}\n", "RA_DATAVERSE_CLIENT_SECRET": SECRET}
    )
    assert settings.dataverse_token == TOKEN  # a pasted newline would break the header
    assert "dataverse_client_secret" not in repr(settings)


def test_service_root_and_required_settings() -> None:
    assert dv.service_root("https://contoso.crm.dynamics.com/") == (
        "https://contoso.crm.dynamics.com/api/data/v9.2"
    )
    assert dv.service_root("https://contoso.crm4.dynamics.com/api/data/v9.1") == (
        "https://contoso.crm4.dynamics.com/api/data/v9.1"
    )
    with pytest.raises(dv.DataverseError, match="must use https"):
        dv.service_root("http://contoso.crm.dynamics.com")
    base = {"RA_SOURCE": "dataverse", "RA_DATAVERSE_URL": "https://contoso.crm.dynamics.com"}
    missing = "missing: RA_DATAVERSE_CLIENT_ID, RA_DATAVERSE_CLIENT_SECRET"
    with pytest.raises(dv.DataverseError, match=missing):
        dv.DataverseClient.from_settings(Settings.from_env({**base, "RA_DATAVERSE_TENANT_ID": "t"}))
    with pytest.raises(dv.DataverseError, match="needs RA_DATAVERSE_URL"):
        dv.DataverseClient.from_settings(Settings.from_env({"RA_SOURCE": "dataverse"}))
    client = dv.DataverseClient.from_settings(
        Settings.from_env(
            {**base, "RA_DATAVERSE_TENANT_ID": "t", "RA_DATAVERSE_CLIENT_ID": "c",
             "RA_DATAVERSE_CLIENT_SECRET": SECRET}
        )
    )  # fmt: skip
    assert isinstance(client._tokens, dv.MsalToken)  # built, no call made yet
    assert SECRET not in repr(client) + repr(client._tokens)


# --- Dagster ---------------------------------------------------------------------------


def test_materialize_extract_asset_from_dataverse(
    server: FakeDataverse, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RA_SOURCE", "dataverse")
    monkeypatch.setenv("RA_DATAVERSE_URL", server.base_url)
    monkeypatch.setenv("RA_DATAVERSE_TOKEN", TOKEN)
    asset = build_extract_asset(TABLES["phonecall"])

    def materialize() -> dict:
        result = dg.materialize([asset], resources={"run_settings": RunSettingsResource()})
        (materialization,) = result.asset_materializations_for_node("raw__phonecall")
        return {name: value.value for name, value in materialization.metadata.items()}

    first = materialize()
    server.delete("phonecall", sorted(server.rows["phonecalls"])[0])
    second = materialize()

    assert first["source_format"] == "dataverse" and first["extract_mode"] == "full"
    assert first["dagster/row_count"] == 400 and first["source_files"] == ["dataverse:phonecalls"]
    assert second["extract_mode"] == "incremental" and second["rows_deleted"] == 1
    assert second["dagster/row_count"] == 399
    assert second["source_files"] == ["dataverse:phonecalls delta"]


def test_dataverse_source_builds_the_same_marts_as_the_files_source(
    server: FakeDataverse, generated: Path, tmp_path: Path
) -> None:
    """The issue's definition of done: same data, two sources, identical marts."""
    from_files = materialize_everything(
        generated, tmp_path / "files", SAMPLE_AS_OF, extra_env={"RA_SOURCE": "files"}
    )
    from_dataverse = materialize_everything(
        tmp_path / "no_landing_files",
        tmp_path / "dataverse",
        SAMPLE_AS_OF,
        extra_env={
            "RA_SOURCE": "dataverse",
            "RA_DATAVERSE_URL": server.base_url,
            "RA_DATAVERSE_TOKEN": TOKEN,
        },
    )
    assert from_files.result.success and from_dataverse.result.success
    with (
        duckdb.connect(str(from_files.warehouse), read_only=True) as files,
        duckdb.connect(str(from_dataverse.warehouse), read_only=True) as api,
    ):
        marts = list(iter_marts(files))
        assert marts and marts == list(iter_marts(api))
        for mart in marts:
            query = f"select * from marts.{mart} order by all"
            expected, actual = files.execute(query).fetchall(), api.execute(query).fetchall()
            assert len(actual) == len(expected), mart
            for want, got in zip(expected, actual, strict=True):
                assert same_row(want, got), (mart, want, got)


def same_row(want: tuple, got: tuple) -> bool:
    """Equal, except that a double may differ in its last bits: averages follow the
    physical order of raw rows, which differs between two sources of the same rows."""
    return len(want) == len(got) and all(
        math.isclose(a, b, rel_tol=1e-12)
        if isinstance(a, float) and isinstance(b, float)
        else a == b
        for a, b in zip(want, got, strict=True)
    )


# --- secrets in every spelling, across the cut (issue 20, section 3) -------------------

ODD_TOKEN = "tK3n+Bearer/Secret=Value~Zq8.x_7-local"  # characters that percent-encode


def echoes(secret: str) -> dict[str, str]:
    """How a misbehaving server or proxy echoes a credential in its error body."""
    return {
        "raw": secret,
        "bearer": f"Bearer {secret}",
        "percent-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret),
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64 urlsafe": base64.urlsafe_b64encode(secret.encode()).decode(),
        "basic auth": "Basic " + base64.b64encode(f"client:{secret}".encode()).decode(),
        "json-escaped": json.dumps(secret)[1:-1].replace("/", "\\/"),
    }


def secret_heads(secret: str) -> set[str]:
    """Every head of 8+ characters of the secret and of each spelling of it."""
    spellings = {secret, *echoes(secret).values(), *secret_forms(secret)}
    return {form[:size] for form in spellings for size in range(8, len(form) + 1)}


def assert_hidden(text: str, secret: str) -> None:
    shown = sorted(head for head in secret_heads(secret) if head in text)
    assert not shown, f"secret text shown: {shown[-1]!r}"


def straddling_body(secret: str, spelling: str, cut: int) -> Callable[[dict[str, str]], str]:
    """A non-JSON error page whose echo of the credential starts before `cut` and ends after."""

    def body(headers: dict[str, str]) -> str:
        echoed = echoes(secret)[spelling]
        prefix = "<html><body>Proxy error. Request headers: "
        return prefix + "." * (cut - len(prefix) - len(echoed) // 2) + echoed + "</body>"

    return body


@pytest.mark.parametrize("spelling", list(echoes(ODD_TOKEN)))
@pytest.mark.parametrize(
    ("status", "cut"),
    [(400, 300), (200, 200), (503, 300)],
    ids=["error body", "page that is not JSON", "throttled, retried, logged"],
)
def test_an_echoed_token_across_the_cut_never_shows(
    server: FakeDataverse,
    warehouse: Path,
    caplog: pytest.LogCaptureFixture,
    spelling: str,
    status: int,
    cut: int,
) -> None:
    server.token = ODD_TOKEN
    body = straddling_body(ODD_TOKEN, spelling, cut)
    assert body({})[cut - 4 : cut + 4] in echoes(ODD_TOKEN)[spelling]  # it straddles the cut
    server.faults.append(Fault("emails", status=status, body=body, times=None))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(dv.DataverseError) as error:
        extract(warehouse, server, "email", max_retries=1, sleep=lambda seconds: None)
    message = str(error.value)
    assert "Proxy error. Request headers: ...." in message  # the body is shown, redacted
    assert_hidden(message, ODD_TOKEN)
    assert_hidden(caplog.text, ODD_TOKEN)
    if status == 503:
        assert "retry 1 of 1" in caplog.text and "Proxy error" in caplog.text
    assert error.value.__cause__ is None and error.value.__context__ is None


def test_an_auth_failure_shows_no_body_only_what_to_check(
    server: FakeDataverse, warehouse: Path
) -> None:
    server.token = ODD_TOKEN
    echo = f"token {quote_plus(ODD_TOKEN)} is not valid for this organisation"
    server.faults.append(Fault("emails", status=401, body=echo))
    with pytest.raises(dv.DataverseError) as error:
        extract(warehouse, server, "email")
    message = str(error.value)
    assert "HTTP 401 (the token was refused" in message and "check RA_DATAVERSE_TOKEN" in message
    assert "not valid for this organisation" not in message and "not shown" in message
    assert_hidden(message, ODD_TOKEN)


def test_a_network_failure_naming_the_token_is_redacted_and_not_chained(
    server: FakeDataverse, warehouse: Path
) -> None:
    class Refusing(requests.Session):
        """requests' message names the URL; here that URL carries the token."""

        def get(self, url: str, **kwargs: object) -> requests.Response:
            raise requests.ConnectionError(
                f"HTTPSConnectionPool: Max retries exceeded with url: {url}"
                f"&access_token={quote(ODD_TOKEN, safe='')}",
                request=requests.Request("GET", url, headers=kwargs.get("headers")).prepare(),
            )

    with (
        client_for(server, max_retries=0, session=Refusing()) as client,
        pytest.raises(dv.DataverseError) as error,
    ):
        client.redact.add(ODD_TOKEN)
        dv.extract_table(connector(warehouse), TABLES["lead"], client)
    assert "gave up after 1 attempt: ConnectionError: HTTPSConnectionPool" in str(error.value)
    assert_hidden(str(error.value), ODD_TOKEN)
    # No chained exception: the request it would carry holds the Authorization header.
    assert error.value.__cause__ is None and error.value.__context__ is None


def test_a_failed_asset_hides_a_straddling_token_in_failure_metadata_and_logs(
    server: FakeDataverse,
    warehouse: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.token = ODD_TOKEN
    body = straddling_body(ODD_TOKEN, "percent-encoded", 300)
    server.faults.append(Fault("emails", status=503, body=body, times=2))
    server.faults.append(Fault("emails", status=400, body=body, times=None))
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RA_SOURCE", "dataverse")
    monkeypatch.setenv("RA_DATAVERSE_URL", server.base_url)
    monkeypatch.setenv("RA_DATAVERSE_TOKEN", ODD_TOKEN)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    caplog.set_level(logging.DEBUG)
    instance = dg.DagsterInstance.ephemeral()

    result = dg.materialize(
        [build_extract_asset(TABLES["email"])],
        resources={"run_settings": RunSettingsResource()},
        instance=instance,
        raise_on_error=False,
    )

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    data = failure.step_failure_data
    assert "HTTP 400" in data.user_failure_data.description
    assert_hidden(data.user_failure_data.description, ODD_TOKEN)
    metadata = {name: value.value for name, value in data.user_failure_data.metadata.items()}
    assert metadata == {"table": "email", "source": "dataverse", "http_status": 400}
    # Dagster shows the chain of causes: the Failure, then the DataverseError, and no more.
    chain, error = [], data.error
    while error is not None:
        chain.append(error)
        assert_hidden(error.message + "".join(error.stack), ODD_TOKEN)
        assert error.context is None or error.context is error.cause
        error = error.cause
    assert [link.cls_name for link in chain] == ["Failure", "DataverseError"]
    logs = instance.all_logs(result.run_id)
    assert any("retry 2 of 5" in entry.user_message for entry in logs)
    assert_hidden(
        "\n".join(f"{entry.user_message} {entry.dagster_event!r}" for entry in logs), ODD_TOKEN
    )
    assert_hidden(caplog.text, ODD_TOKEN)


def test_a_token_endpoint_echoing_the_secret_shows_codes_and_what_to_check(
    server: FakeDataverse, warehouse: Path, caplog: pytest.LogCaptureFixture
) -> None:
    odd_secret = "Sec+ret/Value=~Zq8.x_7-client"
    server.client_secret = odd_secret
    trace = "11111111-2222-3333-4444-555555555555"
    identity = local_identity(server)
    caplog.set_level(logging.DEBUG)

    def client_with_secret(secret: str) -> dv.DataverseClient:
        redactor = dv.Redactor()
        tokens = dv.MsalToken(
            "contoso-tenant", server.client_id, secret, server.base_url, redactor,
            http_client=identity,
        )  # fmt: skip
        return dv.DataverseClient(server.base_url, tokens, redactor)

    server.token_answer = lambda form: (
        401,
        {
            "error": "invalid_client",
            "error_description": f"AADSTS7000215: Invalid secret {form['client_secret']}",
            "error_codes": [7000215],
            "trace_id": trace,
        },
    )
    with pytest.raises(dv.DataverseError) as error, client_with_secret(odd_secret) as client:
        dv.extract_table(connector(warehouse), TABLES["systemuser"], client)
    assert str(error.value).endswith(
        f"invalid_client (AADSTS7000215, trace id {trace}); check RA_DATAVERSE_CLIENT_ID and "
        "RA_DATAVERSE_CLIENT_SECRET (a wrong or expired secret) (the answer's text is not "
        "shown: it can echo credentials)"
    )
    assert "Invalid secret" not in str(error.value)

    # Not JSON: msal logs the body verbatim and raises; neither the log nor the error shows it.
    server.token_answer = lambda form: (400, f"<h1>Bad request</h1> {quote_plus(odd_secret)}")
    with pytest.raises(dv.DataverseError) as error, client_with_secret(odd_secret) as client:
        dv.extract_table(connector(warehouse), TABLES["systemuser"], client)
    assert "check RA_DATAVERSE_TENANT_ID" in str(error.value)
    assert "Token response is not in json format: <h1>Bad request</h1> ***" in caplog.text
    for text in (str(error.value), caplog.text):
        assert_hidden(text, odd_secret)
    assert error.value.__cause__ is None and error.value.__context__ is None


def test_a_bad_value_echoing_the_token_is_named_but_redacted(
    server: FakeDataverse, warehouse: Path
) -> None:
    server.token = ODD_TOKEN
    server.update("email", any_email(server), senton=f"Bearer {ODD_TOKEN}")
    with pytest.raises(LandingDataError) as error:
        extract(warehouse, server, "email")
    message = str(error.value)
    assert "table 'email'" in message and "column 'senton'" in message
    assert "'Bearer ***' is not a timestamp" in message and error.value.value == "Bearer ***"
    assert_hidden(message, ODD_TOKEN)
    assert error.value.__cause__ is None and error.value.__context__ is None


def test_an_identity_platform_network_failure_is_redacted_and_not_chained(
    server: FakeDataverse, warehouse: Path
) -> None:
    odd_secret = "Sec+ret/Value=~Zq8.x_7-client"

    class Unreachable(requests.adapters.HTTPAdapter):
        """Fails like a proxy that names the request's form in its refusal."""

        def send(self, request, **kwargs):
            raise requests.ConnectionError(
                f"proxy refused {request.url} with body client_secret={quote_plus(odd_secret)}",
                request=request,
            )

    identity = requests.Session()
    identity.mount("https://", Unreachable())
    redactor = dv.Redactor()
    tokens = dv.MsalToken(
        "contoso-tenant", "local-client-id", odd_secret, server.base_url, redactor,
        http_client=identity,
    )  # fmt: skip
    with (
        dv.DataverseClient(server.base_url, tokens, redactor) as client,
        pytest.raises(dv.DataverseError) as error,
    ):
        dv.extract_table(connector(warehouse), TABLES["systemuser"], client)
    assert ": ConnectionError: proxy refused https://login.microsoftonline.com/" in str(error.value)
    assert "client_secret=***" in str(error.value)
    assert_hidden(str(error.value), odd_secret)
    assert error.value.__cause__ is None and error.value.__context__ is None
