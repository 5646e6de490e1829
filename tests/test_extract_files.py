"""Extract layer: landing files -> raw.<table>, on small hand-written files.

Every expected value below can be checked by reading the file written in the same test.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.contract import TABLES
from orchestration.defs.extract import build_extract_asset, defs, extract_assets
from orchestration.defs.resources import RunSettingsResource, connect_warehouse
from orchestration.settings import parse_raw_parquet_dir
from orchestration.sources.files import find_landing_files
from orchestration.sources.landing import load_landing_files
from orchestration.sources.landing_staging import csv_line_of_record
from orchestration.sources.raw_load_errors import LandingDataError
from orchestration.sources.raw_loader import column_expressions, load_raw_table

_DEFAULTS = {
    "varchar": "x",
    "boolean": "true",
    "integer": "1",
    "double": "1.5",
    "timestamp": "2024-01-01 00:00:00",
    "date": "2024-01-01",
}


def row(table: str, **values: str) -> dict[str, str]:
    """A landing row as text: every contract column filled, `values` override."""
    filled = {name: _DEFAULTS[kind] for name, kind in TABLES[table].columns.items()}
    filled.update(values)
    return filled


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, columns: dict[str, pa.Array]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def party_columns(ids: list[str], masks: list[int] | None = None) -> dict[str, pa.Array]:
    n = len(ids)
    return {
        "activitypartyid": pa.array(ids),
        "activityid": pa.array([f"act-{i}" for i in range(n)]),
        "partyid": pa.array([None] + [f"p-{i}" for i in range(1, n)], pa.string()),
        "partyobjecttypecode": pa.array(["contact"] * n),
        "participationtypemask": pa.array(masks or [1] * n, pa.int32()),
        "addressused": pa.array([f"a{i}@example.com" for i in range(n)]),
    }


def load(landing: Path, warehouse: Path, table: str):
    with connect_warehouse(warehouse) as connection:
        return load_landing_files(connection, TABLES[table], find_landing_files(landing, table))


def query(warehouse: Path, sql: str) -> list[tuple]:
    with connect_warehouse(warehouse, read_only=True) as connection:
        return connection.execute(sql).fetchall()


def snapshot(warehouse: Path, table: str) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Contents, column types, and every table/view in the file: all must survive a failure."""
    return (
        query(warehouse, f'select * from raw."{table}" order by all'),
        query(warehouse, f'select column_name, column_type from (describe raw."{table}")'),
        query(
            warehouse,
            "select schema_name, table_name from duckdb_tables() "
            "union all select schema_name, view_name from duckdb_views() where not internal "
            "order by all",
        ),
    )


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "test.duckdb"


# --- finding files -----------------------------------------------------------------------


def test_find_landing_files_single_file_and_sorted_folder(landing: Path) -> None:
    write_csv(landing / "email.csv", [row("email")])
    for name in ["part-0002.parquet", "part-0001.parquet", "_SUCCESS"]:
        (landing / "activityparty").mkdir(exist_ok=True)
        (landing / "activityparty" / name).write_bytes(b"")

    email = find_landing_files(landing, "email")
    parties = find_landing_files(landing, "activityparty")

    assert (email.format, email.paths) == ("csv", (landing / "email.csv",))
    assert parties.format == "parquet"
    assert [p.name for p in parties.paths] == ["part-0001.parquet", "part-0002.parquet"]


def test_find_landing_files_missing_table_names_table_and_folder(landing: Path) -> None:
    with pytest.raises(LandingDataError) as caught:
        find_landing_files(landing, "phonecall")
    assert str(caught.value) == (
        f"raw load failed: table 'phonecall', folder '{landing}': no landing data found "
        "(expected phonecall.csv, phonecall.parquet or a folder phonecall/ of "
        ".csv/.parquet files)"
    )


def test_find_landing_files_refuses_two_forms(landing: Path) -> None:
    write_csv(landing / "email.csv", [row("email")])
    write_csv(landing / "email" / "part-0001.csv", [row("email")])
    with pytest.raises(LandingDataError, match=r"more than one form \('email.csv', 'email/'\)"):
        find_landing_files(landing, "email")


def test_find_landing_files_refuses_mixed_folder(landing: Path) -> None:
    write_csv(landing / "email" / "a.csv", [row("email")])
    write_parquet(landing / "email" / "b.parquet", {"activityid": pa.array(["e1"])})
    with pytest.raises(LandingDataError, match="mixes .csv and .parquet"):
        find_landing_files(landing, "email")


# --- good loads --------------------------------------------------------------------------


def test_csv_values_are_cast_to_contract_types(landing: Path, warehouse: Path) -> None:
    write_csv(
        landing / "email.csv",
        [
            row(
                "email",
                activityid="e1",
                directioncode="1",
                isemailfollowed="TRUE",
                senton="2024-05-01T10:00:00+02:00",
                opencount="3",
                lastopenedtime="",
                Crm_Extra="kept",
            ),
            row(
                "email",
                activityid="e2",
                directioncode="0",
                isemailfollowed="false",
                senton="2024-05-02T10:00:00Z",
                opencount="",
                lastopenedtime="2024-05-03 07:30:00",
                Crm_Extra="",
            ),
            row("email", activityid="e3", directioncode="", subject="", Crm_Extra="z"),
        ],
    )

    result = load(landing, warehouse, "email")

    assert (result.rows_read, result.rows_loaded, result.duplicates_superseded) == (3, 3, 0)
    assert result.source_files == (str(landing / "email.csv"),)
    assert query(
        warehouse,
        "select activityid, directioncode, isemailfollowed, senton, opencount, lastopenedtime, "
        "subject, crm_extra, _source_row from raw.email order by activityid",
    ) == [
        ("e1", True, True, datetime(2024, 5, 1, 8, 0), 3, None, "x", "kept", 1),
        (
            "e2",
            False,
            False,
            datetime(2024, 5, 2, 10),
            None,
            datetime(2024, 5, 3, 7, 30),
            "x",
            None,
            2,
        ),
        ("e3", None, True, datetime(2024, 1, 1), 1, datetime(2024, 1, 1), None, "z", 3),
    ]
    types = dict(query(warehouse, "select column_name, column_type from (describe raw.email)"))
    assert [types[name] for name in TABLES["email"].columns] == [
        kind.upper() for kind in TABLES["email"].columns.values()
    ]
    assert (types["crm_extra"], types["_source_file"], types["_source_row"]) == (
        "VARCHAR",
        "VARCHAR",
        "BIGINT",
    )


def test_dates_accept_a_date_or_the_date_part_of_a_timestamp(
    landing: Path, warehouse: Path
) -> None:
    write_csv(
        landing / "opportunity.csv",
        [
            row(
                "opportunity",
                opportunityid="o1",
                estimatedclosedate="2024-06-30",
                actualclosedate="2024-07-01T23:30:00-05:00",
                estimatedvalue="1000",
                actualvalue="",
            ),
        ],
    )
    load(landing, warehouse, "opportunity")
    assert query(
        warehouse,
        "select estimatedclosedate, actualclosedate, estimatedvalue, actualvalue "
        "from raw.opportunity",
    ) == [(date(2024, 6, 30), date(2024, 7, 1), 1000.0, None)]


def test_parquet_folder_parts_load_in_name_order_with_row_numbers(
    landing: Path, warehouse: Path
) -> None:
    folder = landing / "activityparty"
    write_parquet(folder / "part-0002.parquet", party_columns(["ap-3"]))
    write_parquet(folder / "part-0001.parquet", party_columns(["ap-1", "ap-2"], [7, 5]))

    result = load(landing, warehouse, "activityparty")

    assert (result.rows_read, result.rows_loaded) == (3, 3)
    assert result.source_files == (
        str(folder / "part-0001.parquet"),
        str(folder / "part-0002.parquet"),
    )
    assert query(
        warehouse,
        "select activitypartyid, partyid, participationtypemask, "
        "regexp_extract(_source_file, '[^/]+$'), _source_row from raw.activityparty order by 1",
    ) == [
        ("ap-1", None, 7, "part-0001.parquet", 1),
        ("ap-2", "p-1", 5, "part-0001.parquet", 2),
        ("ap-3", None, 1, "part-0002.parquet", 1),
    ]


def test_newest_modifiedon_wins_across_parts(landing: Path, warehouse: Path) -> None:
    folder = landing / "contact"
    write_csv(
        folder / "part-0001.csv",
        [
            row("contact", contactid="c1", fullname="Old", modifiedon="2024-01-01 00:00:00"),
            row("contact", contactid="c2", fullname="Only", modifiedon="2024-01-01 00:00:00"),
            row("contact", contactid="c3", fullname="No date", modifiedon=""),
        ],
    )
    write_csv(
        folder / "part-0002.csv",
        [
            # 10:00+02:00 is 08:00 UTC: newer than the 2024-01-01 row, older than the next.
            row("contact", contactid="c1", fullname="Middle", modifiedon="2024-02-01T10:00+02:00"),
            row("contact", contactid="c1", fullname="Newest", modifiedon="2024-02-01 09:00:00"),
            row("contact", contactid="c3", fullname="Dated", modifiedon="2023-01-01 00:00:00"),
        ],
    )

    result = load(landing, warehouse, "contact")

    assert (result.rows_read, result.rows_loaded, result.duplicates_superseded) == (6, 3, 3)
    assert query(
        warehouse, "select contactid, fullname, modifiedon from raw.contact order by 1"
    ) == [
        ("c1", "Newest", datetime(2024, 2, 1, 9, 0)),
        ("c2", "Only", datetime(2024, 1, 1)),
        ("c3", "Dated", datetime(2023, 1, 1)),
    ]


def test_spellings_of_one_id_are_one_key(landing: Path, warehouse: Path) -> None:
    """Ids compare as Dataverse compares them (KPI_SPEC section 1): case and braces aside."""
    write_csv(
        landing / "contact.csv",
        [
            row("contact", contactid="{AB-1}", fullname="Old", modifiedon="2024-01-01 00:00:00"),
            row("contact", contactid="ab-1", fullname="New", modifiedon="2024-02-01 00:00:00"),
            row("contact", contactid="Ab-2", fullname="Only", modifiedon="2024-01-01 00:00:00"),
        ],
    )

    result = load(landing, warehouse, "contact")

    assert (result.rows_read, result.rows_loaded, result.duplicates_superseded) == (3, 2, 1)
    assert query(warehouse, "select contactid, fullname from raw.contact order by 1") == [
        ("Ab-2", "Only"),
        ("ab-1", "New"),
    ]


def test_spellings_of_one_id_with_the_same_modifiedon(landing: Path, warehouse: Path) -> None:
    path = write_csv(
        landing / "contact.csv",
        [
            row("contact", contactid="ab-1", modifiedon="2024-01-01 00:00:00"),
            row("contact", contactid="{AB-1}", modifiedon="2024-01-01 00:00:00"),
        ],
    )

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "contact")

    assert str(caught.value) == (
        f"raw load failed: table 'contact', file '{path}', column 'contactid', "
        "line 2 and line 3: duplicate primary key 'ab-1' (also spelt '{AB-1}': ids ignore "
        "case and braces) with the same modifiedon '2024-01-01 00:00:00'"
    )


def test_a_key_of_braces_and_blanks_is_empty(landing: Path, warehouse: Path) -> None:
    path = write_csv(
        landing / "contact.csv", [row("contact", contactid="c1"), row("contact", contactid="{ }")]
    )

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "contact")

    assert str(caught.value) == (
        f"raw load failed: table 'contact', file '{path}', column 'contactid', line 3: "
        "primary key is empty"
    )


def test_unique_text_is_stored_uncompressed_and_repetitive_text_is_compressed(
    landing: Path, warehouse: Path
) -> None:
    ids = [f"ap-{i:05d}" for i in range(3000)]
    write_parquet(landing / "activityparty.parquet", party_columns(ids))
    load(landing, warehouse, "activityparty")
    compression = dict(
        query(
            warehouse,
            "select column_name, string_agg(distinct compression, ',') "
            "from pragma_storage_info('raw.activityparty') "
            "where segment_type = 'VARCHAR' group by all",
        )
    )
    # 3,000 distinct keys; one party type for every row.
    assert compression["activitypartyid"] == "Uncompressed"
    assert compression["partyobjecttypecode"] != "Uncompressed"


def test_reload_replaces_the_table(landing: Path, warehouse: Path) -> None:
    write_csv(landing / "connectionrole.csv", [row("connectionrole", connectionroleid="r1")])
    load(landing, warehouse, "connectionrole")
    write_csv(
        landing / "connectionrole.csv",
        [row("connectionrole", connectionroleid="r2", category="1001")],
    )
    load(landing, warehouse, "connectionrole")
    assert query(warehouse, "select connectionroleid, category from raw.connectionrole") == [
        ("r2", 1001)
    ]


# --- bad input: clear error, previous table intact ---------------------------------------


def _good_email(landing: Path) -> None:
    write_csv(
        landing / "email.csv",
        [row("email", activityid="e1"), row("email", activityid="e2", senton="")],
    )


def test_missing_required_column(landing: Path, warehouse: Path) -> None:
    _good_email(landing)
    load(landing, warehouse, "email")
    before = snapshot(warehouse, "email")
    bad = row("email", activityid="e9")
    del bad["senton"]
    path = write_csv(landing / "email.csv", [bad])

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "email")

    assert str(caught.value) == (
        f"raw load failed: table 'email', file '{path}', column 'senton': "
        "required column is missing"
    )
    assert (caught.value.file, caught.value.column) == (str(path), "senton")
    assert snapshot(warehouse, "email") == before


def test_missing_column_in_one_part_of_a_folder(landing: Path, warehouse: Path) -> None:
    folder = landing / "activityparty"
    write_parquet(folder / "part-0001.parquet", party_columns(["ap-1"]))
    columns = party_columns(["ap-2"])
    del columns["addressused"]
    path = write_parquet(folder / "part-0002.parquet", columns)

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "activityparty")

    assert str(caught.value) == (
        f"raw load failed: table 'activityparty', file '{path}', column 'addressused': "
        "required column is missing"
    )
    assert query(warehouse, "select count(*) from duckdb_tables()") == [(0,)]


def test_bad_timestamp_names_the_physical_line(landing: Path, warehouse: Path) -> None:
    _good_email(landing)
    load(landing, warehouse, "email")
    before = snapshot(warehouse, "email")
    path = write_csv(
        landing / "email.csv",
        [
            row("email", activityid="e1", subject="two\nlines"),  # lines 2-3
            row("email", activityid="e2"),  # line 4
            row("email", activityid="e3", senton="2024-13-45"),  # line 5
        ],
    )

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "email")

    assert str(caught.value) == (
        f"raw load failed: table 'email', file '{path}', column 'senton', line 5: "
        "value '2024-13-45' is not a timestamp"
    )
    assert (caught.value.row, caught.value.value) == ("line 5", "2024-13-45")
    assert snapshot(warehouse, "email") == before


def test_bad_integer_and_boolean_are_all_reported(landing: Path, warehouse: Path) -> None:
    _good_email(landing)
    load(landing, warehouse, "email")
    before = snapshot(warehouse, "email")
    path = write_csv(
        landing / "email.csv",
        [
            row("email", activityid="e1"),
            row("email", activityid="e2", statuscode="1.5"),
            row("email", activityid="e3", opencount="many", directioncode="yes"),
        ],
    )

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "email")

    assert str(caught.value).splitlines() == [
        f"raw load failed: table 'email', file '{path}', column 'statuscode', line 3: "
        "value '1.5' is not an integer",
        f"  also: raw load failed: table 'email', file '{path}', column 'directioncode', "
        "line 4: value 'yes' is not a boolean (expected true, false, 1 or 0)",
        f"  also: raw load failed: table 'email', file '{path}', column 'opencount', "
        "line 4: value 'many' is not an integer",
    ]
    assert snapshot(warehouse, "email") == before


def test_bad_integer_in_parquet_names_the_row(landing: Path, warehouse: Path) -> None:
    columns = party_columns(["ap-1", "ap-2", "ap-3"])
    columns["participationtypemask"] = pa.array([1, 2, 3_000_000_000], pa.int64())
    path = write_parquet(landing / "activityparty.parquet", columns)

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "activityparty")

    assert str(caught.value) == (
        f"raw load failed: table 'activityparty', file '{path}', "
        "column 'participationtypemask', row 3: value '3000000000' is not an integer"
    )


def test_malformed_csv_row_names_the_line(landing: Path, warehouse: Path) -> None:
    path = landing / "connectionrole.csv"
    path.write_text(
        "connectionroleid,name,category\nr1,Stakeholder,1000\nr2,Sales Team,1001,oops\n",
        encoding="utf-8",
    )

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "connectionrole")

    assert str(caught.value) == (
        f"raw load failed: table 'connectionrole', file '{path}', line 3: "
        "Expected Number of Columns: 3 Found: 4"
    )


def test_duplicate_key_with_same_modifiedon(landing: Path, warehouse: Path) -> None:
    _good_email(landing)
    load(landing, warehouse, "email")
    before = snapshot(warehouse, "email")
    path = write_csv(
        landing / "email.csv",
        [
            row("email", activityid="e1", modifiedon="2024-03-01T12:00:00Z"),
            row("email", activityid="e2"),
            row("email", activityid="e1", modifiedon="2024-03-01 14:00:00+02:00"),
        ],
    )

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "email")

    assert str(caught.value) == (
        f"raw load failed: table 'email', file '{path}', column 'activityid', "
        "line 2 and line 4: duplicate primary key 'e1' with the same modifiedon "
        "'2024-03-01 12:00:00'"
    )
    assert snapshot(warehouse, "email") == before


def test_duplicate_key_without_modifiedon_across_parts(landing: Path, warehouse: Path) -> None:
    folder = landing / "activityparty"
    write_parquet(folder / "part-0001.parquet", party_columns(["ap-1", "ap-2"]))
    load(landing, warehouse, "activityparty")
    before = snapshot(warehouse, "activityparty")
    write_parquet(folder / "part-0002.parquet", party_columns(["ap-3", "ap-2"]))

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "activityparty")

    assert str(caught.value) == (
        "raw load failed: table 'activityparty', "
        f"files '{folder / 'part-0001.parquet'}' and '{folder / 'part-0002.parquet'}', "
        "column 'activitypartyid', row 2 (first file) and row 2 (second file): "
        "duplicate primary key 'ap-2' (the table has no modifiedon, so every key must be unique)"
    )
    assert snapshot(warehouse, "activityparty") == before


def test_empty_primary_key(landing: Path, warehouse: Path) -> None:
    _good_email(landing)
    load(landing, warehouse, "email")
    before = snapshot(warehouse, "email")
    path = write_csv(
        landing / "email.csv", [row("email", activityid="e1"), row("email", activityid="")]
    )

    with pytest.raises(LandingDataError) as caught:
        load(landing, warehouse, "email")

    assert str(caught.value) == (
        f"raw load failed: table 'email', file '{path}', column 'activityid', line 3: "
        "primary key is empty"
    )
    assert snapshot(warehouse, "email") == before


# --- the source-agnostic entry point -----------------------------------------------------


def test_load_raw_table_from_an_arrow_relation(warehouse: Path) -> None:
    """What the Dataverse source will do: stage typed rows, name the source per row."""
    pages = pa.table(
        {
            "SystemUserId": ["u1", "u2"],
            "fullname": ["Ann", "Bo"],
            "internalemailaddress": ["ann@x", None],
            "businessunitid": ["bu1", "bu1"],
            "isdisabled": pa.array([0, 1], pa.int8()),
            "modifiedon": pa.array(
                [datetime(2024, 1, 1, 10), datetime(2024, 1, 1, 12)],
                pa.timestamp("us", tz="Europe/Paris"),
            ),
            "_source_file": ["api page 1", "api page 2"],
            "_source_row": pa.array([1, 1], pa.int64()),
        }
    )
    with connect_warehouse(warehouse) as connection:
        result = load_raw_table(connection, TABLES["systemuser"], connection.from_arrow(pages))
        rows = connection.execute(
            "select systemuserid, isdisabled, modifiedon from raw.systemuser order by 1"
        ).fetchall()
    assert result.source_files == ("api page 1", "api page 2")
    # pyarrow reads naive datetimes as UTC instants; Paris display does not change them.
    assert rows == [("u1", False, datetime(2024, 1, 1, 10)), ("u2", True, datetime(2024, 1, 1, 12))]


def test_column_expressions_pass_typed_values_through() -> None:
    assert column_expressions('"c"', "integer", "integer").bad is None
    assert column_expressions('"c"', "timestamp", "timestamp").value == 'cast("c" as TIMESTAMP)'
    assert column_expressions('"c"', "varchar", "varchar").value == "nullif(\"c\", '')"


def test_csv_line_of_record_counts_multiline_fields_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,"x\ny"\n\n2,z\n3,w\n', encoding="utf-8")
    assert [csv_line_of_record(path, record) for record in (1, 2, 3)] == [2, 5, 6]


def test_session_settings_are_restored(landing: Path, warehouse: Path) -> None:
    write_csv(landing / "connectionrole.csv", [row("connectionrole", connectionroleid="r1")])
    with connect_warehouse(warehouse) as connection:
        connection.execute("set TimeZone = 'America/New_York'")
        load_landing_files(
            connection, TABLES["connectionrole"], find_landing_files(landing, "connectionrole")
        )
        (zone,) = connection.execute("select current_setting('TimeZone')").fetchone()
    assert zone == "America/New_York"


# --- Dagster -----------------------------------------------------------------------------


def test_extract_defs_cover_every_contract_table() -> None:
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {f"raw/{table}" for table in TABLES}
    # One step for every table (one outcome for raw), in the warehouse pool, subsettable.
    (asset,) = extract_assets
    assert set(asset.group_names_by_key.values()) == {"extract"}
    assert asset.op.pools == {"duckdb"}
    assert asset.can_subset


def test_materialize_extract_asset(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(
        landing / "phonecall.csv",
        [
            row("phonecall", activityid="p1", modifiedon="2024-01-01 00:00:00"),
            row("phonecall", activityid="p2"),
            row("phonecall", activityid="p1", modifiedon="2024-01-02 00:00:00"),
        ],
    )
    monkeypatch.setenv("RA_LANDING_DIR", str(landing))
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("RA_RAW_PARQUET_DIR", raising=False)

    result = dg.materialize(
        [build_extract_asset(TABLES["phonecall"])],
        resources={"run_settings": RunSettingsResource()},
    )

    assert result.success
    (materialization,) = result.asset_materializations_for_node("raw__phonecall")
    metadata = materialization.metadata
    assert metadata["dagster/row_count"].value == 2
    assert metadata["rows_read"].value == 3
    assert metadata["duplicates_superseded"].value == 1
    assert metadata["source_files"].value == [str(landing / "phonecall.csv")]
    assert query(warehouse, "select count(*) from raw.phonecall") == [(2,)]
    # No RA_RAW_PARQUET_DIR, no Parquet mirror: only the warehouse file is written.
    assert "raw_parquet_path" not in metadata
    assert [path.name for path in warehouse.parent.iterdir()] == ["test.duckdb"]


def test_materialize_writes_the_parquet_mirror_when_asked(
    landing: Path, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_csv(
        landing / "phonecall.csv",
        [
            row("phonecall", activityid="p1", modifiedon="2024-01-01 00:00:00"),
            row("phonecall", activityid="p2", subject="call two"),
            row("phonecall", activityid="p1", modifiedon="2024-01-02 00:00:00"),
        ],
    )
    write_csv(landing / "systemuser.csv", [row("systemuser", systemuserid="u1")])
    mirror = tmp_path / "raw_parquet"
    monkeypatch.setenv("RA_LANDING_DIR", str(landing))
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("RA_RAW_PARQUET_DIR", str(mirror))

    result = dg.materialize(
        [build_extract_asset(TABLES["phonecall"]), build_extract_asset(TABLES["systemuser"])],
        resources={"run_settings": RunSettingsResource()},
    )

    assert result.success
    assert sorted(path.name for path in mirror.iterdir()) == ["phonecall", "systemuser"]
    for table, rows in (("phonecall", 2), ("systemuser", 1)):
        (materialization,) = result.asset_materializations_for_node(f"raw__{table}")
        path = mirror / table / "data.parquet"
        assert materialization.metadata["raw_parquet_path"].value == str(path)
        assert materialization.metadata["raw_parquet_rows"].value == rows
        # The same rows, columns and types as raw.<table>, lineage columns included.
        assert query(warehouse, f"select * from read_parquet('{path}') order by all") == query(
            warehouse, f"select * from raw.{table} order by all"
        )
        assert query(
            warehouse,
            f"select column_name, column_type from (describe select * from read_parquet('{path}'))",
        ) == query(warehouse, f"select column_name, column_type from (describe raw.{table})")


def test_raw_parquet_dir_is_optional_and_local() -> None:
    assert parse_raw_parquet_dir(None) is None
    assert parse_raw_parquet_dir("  ") is None
    assert parse_raw_parquet_dir("mirror") == Path.cwd() / "mirror"
    with pytest.raises(ValueError, match="RA_RAW_PARQUET_DIR='s3a://bucket/raw' is a URI"):
        parse_raw_parquet_dir("s3a://bucket/raw")


def test_materialize_fails_with_the_landing_message(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RA_LANDING_DIR", str(landing))
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))

    result = dg.materialize(
        [build_extract_asset(TABLES["lead"])],
        resources={"run_settings": RunSettingsResource()},
        raise_on_error=False,
    )

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert (
        "raw load failed: table 'lead'" in failure.step_failure_data.user_failure_data.description
    )


def test_duckdb_error_types_are_not_swallowed(warehouse: Path) -> None:
    """A staged query that cannot even be planned is a programming error, not bad data."""
    with connect_warehouse(warehouse) as connection, pytest.raises(duckdb.Error):
        load_raw_table(connection, TABLES["connectionrole"], "select * from no_such_table")
