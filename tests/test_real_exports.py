"""Landing files shaped like real exports: deleted flags, Delta tables, Windows encodings,
odd file names, corrupt files and empty input (issues 14 and 20).

Every expected value can be checked by reading the files written in the same test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from orchestration.contract import TABLES
from orchestration.defs.extract import build_extract_asset
from orchestration.defs.resources import RunSettingsResource, connect_warehouse
from orchestration.settings import Settings, parse_allow_empty_tables, parse_landing_encoding
from orchestration.sources import landing_encoding
from orchestration.sources.files import find_landing_files
from orchestration.sources.landing import load_landing_files
from orchestration.sources.landing_encoding import transcode_to_utf8
from orchestration.sources.landing_staging import escape_glob
from orchestration.sources.raw_load_errors import LandingDataError

USER_COLUMNS = list(TABLES["systemuser"].columns)


def user(key: str, name: str = "x", modifiedon: str = "2024-01-01 00:00:00", **extra: str):
    """A systemuser landing row as text; `extra` adds columns such as _fivetran_deleted."""
    return {
        "systemuserid": key,
        "fullname": name,
        "internalemailaddress": f"{key}@example.com",
        "businessunitid": "bu-1",
        "isdisabled": "false",
        "modifiedon": modifiedon,
        **extra,
    }


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def user_arrow(keys: list[str], names: list[str] | None = None) -> pa.Table:
    names = names or [f"name {key}" for key in keys]
    return pa.table(
        {
            "systemuserid": keys,
            "fullname": names,
            "internalemailaddress": [f"{key}@example.com" for key in keys],
            "businessunitid": ["bu-1"] * len(keys),
            "isdisabled": [False] * len(keys),
            "modifiedon": ["2024-01-01 00:00:00"] * len(keys),
        }
    )


def load(landing: Path, warehouse: Path, table: str = "systemuser", **options):
    with connect_warehouse(warehouse) as connection:
        return load_landing_files(
            connection, TABLES[table], find_landing_files(landing, table), **options
        )


def query(warehouse: Path, sql: str) -> list[tuple]:
    with connect_warehouse(warehouse, read_only=True) as connection:
        return connection.execute(sql).fetchall()


def user_ids(warehouse: Path) -> list[str]:
    return [
        key for (key,) in query(warehouse, "select systemuserid from raw.systemuser order by 1")
    ]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "test.duckdb"


# --- rows flagged deleted ------------------------------------------------------------------


def test_fivetran_deleted_rows_are_dropped_and_counted(landing: Path, warehouse: Path) -> None:
    write_csv(
        landing / "systemuser.csv",
        [
            user("u1", _fivetran_deleted="false"),
            user("u2", _fivetran_deleted="TRUE"),
            user("u3", _fivetran_deleted=" 1 "),
            user("u4", _fivetran_deleted=""),
            user("u5", _fivetran_deleted="True"),
        ],
    )

    result = load(landing, warehouse)

    assert user_ids(warehouse) == ["u1", "u4"]
    assert (result.rows_read, result.rows_flagged_deleted, result.rows_loaded) == (5, 3, 2)


def test_the_flag_of_a_keys_newest_version_decides(landing: Path, warehouse: Path) -> None:
    """Parquet with a boolean IsDeleted: p1 deleted in its newer version, p2 restored."""
    table = TABLES["systemuser"]
    arrow = user_arrow(["u1", "u1", "u2", "u2", "u3"])
    arrow = arrow.set_column(
        USER_COLUMNS.index("modifiedon"),
        "modifiedon",
        pa.array(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-03", "2024-01-01"]),
    ).append_column("IsDeleted", pa.array([False, True, True, False, None]))
    pq.write_table(arrow, landing / "systemuser.parquet")

    with connect_warehouse(warehouse) as connection:
        result = load_landing_files(connection, table, find_landing_files(landing, "systemuser"))

    assert user_ids(warehouse) == ["u2", "u3"]
    assert (result.duplicates_superseded, result.rows_flagged_deleted) == (2, 1)
    assert query(
        warehouse, "select modifiedon::varchar from raw.systemuser where systemuserid = 'u2'"
    ) == [("2024-01-03 00:00:00",)]


# --- Delta Lake ----------------------------------------------------------------------------


def test_a_delta_table_is_read_at_its_latest_version(landing: Path, warehouse: Path) -> None:
    folder = landing / "systemuser"
    write_deltalake(str(folder), user_arrow(["u1", "u2"]))
    write_deltalake(str(folder), user_arrow(["u3", "u4"]), mode="append")
    DeltaTable(str(folder)).delete("systemuserid = 'u2'")  # rewrites the first file, no vacuum

    result = load(landing, warehouse)

    # Three Parquet files on disk (two appends, one rewrite), two in the latest version.
    assert len(list(folder.glob("*.parquet"))) == 3
    assert len(result.source_files) == 2
    assert user_ids(warehouse) == ["u1", "u3", "u4"]
    assert query(warehouse, "select fullname from raw.systemuser where systemuserid = 'u4'") == [
        ("name u4",)
    ]


def test_a_delta_table_after_optimize_has_no_duplicate_keys(landing: Path, warehouse: Path) -> None:
    folder = landing / "systemuser"
    write_deltalake(str(folder), user_arrow(["u1", "u2"]))
    write_deltalake(str(folder), user_arrow(["u3"]), mode="append")
    DeltaTable(str(folder)).delete("systemuserid = 'u1'")
    DeltaTable(str(folder)).optimize.compact()  # one new file holds every live row

    result = load(landing, warehouse)

    # 2 appends + 1 rewrite by DELETE + 1 compacted file = 4 files, the last one is live.
    assert len(list(folder.glob("*.parquet"))) == 4
    assert len(result.source_files) == 1
    assert (result.rows_read, result.duplicates_superseded) == (2, 0)
    assert user_ids(warehouse) == ["u2", "u3"]


def test_a_partitioned_delta_table_keeps_its_partition_column(
    landing: Path, warehouse: Path
) -> None:
    folder = landing / "systemuser"
    write_deltalake(
        str(folder),
        user_arrow(["u1", "u2", "u3"])
        .drop_columns(["businessunitid"])
        .append_column("businessunitid", pa.array(["bu-a", "bu-b", "bu-a"])),
        partition_by=["businessunitid"],
    )

    load(landing, warehouse)

    assert query(
        warehouse, "select systemuserid, businessunitid from raw.systemuser order by 1"
    ) == [("u1", "bu-a"), ("u2", "bu-b"), ("u3", "bu-a")]


# --- files from Windows --------------------------------------------------------------------


def test_a_windows_1252_file_names_table_file_and_line(landing: Path, warehouse: Path) -> None:
    path = write_csv(
        landing / "systemuser.csv",
        [user("u1", "Ann"), user("u2", "Zoë Noël"), user("u3", "Bo")],
        encoding="cp1252",
    )

    with pytest.raises(LandingDataError) as failure:
        load(landing, warehouse)

    message = str(failure.value)
    # Line 1 is the header, so Zoë (u2) is on line 3.
    assert f"table 'systemuser', file '{path}', line 3" in message
    assert "RA_LANDING_ENCODING=cp1252" in message and "convert it to UTF-8" in message
    assert "position" not in message  # no byte offset
    assert (failure.value.file, failure.value.row) == (str(path), "line 3")


def test_a_declared_encoding_is_transcoded(landing: Path, warehouse: Path) -> None:
    path = write_csv(
        landing / "systemuser.csv",
        [user("u1", "Ann"), user("u2", "Zoë Noël – €5")],
        encoding="cp1252",
    )

    load(landing, warehouse, encoding="cp1252")

    assert query(warehouse, "select fullname, _source_file from raw.systemuser order by 1") == [
        ("Ann", str(path)),
        ("Zoë Noël – €5", str(path)),
    ]


def test_a_byte_the_declared_encoding_lacks_names_its_line(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0x81 is undefined in cp1252; tiny chunks check the line count across chunk edges."""
    monkeypatch.setattr(landing_encoding, "_CHUNK_BYTES", 7)
    path = write_csv(landing / "systemuser.csv", [user("u1"), user("u2"), user("u3", "BAD")])
    path.write_bytes(path.read_bytes().replace(b"BAD", b"B\x81D"))

    with pytest.raises(LandingDataError, match=r"line 4: bytes that are not valid cp1252"):
        load(landing, warehouse, encoding="cp1252")


def test_errors_in_a_transcoded_file_name_the_landing_file(landing: Path, warehouse: Path) -> None:
    """DuckDB reads a UTF-8 copy; its errors must still name the file the user landed."""
    path = write_csv(landing / "systemuser.csv", [user("u1", "Zoë"), user("u2")], "cp1252")
    path.write_bytes(path.read_bytes() + 'u3,"Noël,x\n'.encode("cp1252"))  # open quote

    with pytest.raises(LandingDataError) as failure:
        load(landing, warehouse, encoding="cp1252")

    assert f"table 'systemuser', file '{path}', line 4" in str(failure.value)
    assert "ra-landing-utf8" not in str(failure.value)
    assert failure.value.file == str(path)


def test_transcode_to_utf8_streams_any_codec(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes("a,b\n1,Grüße\n".encode("utf-16"))
    target = tmp_path / "out.csv"

    transcode_to_utf8(source, "utf-16", target, "systemuser")

    assert target.read_bytes() == "a,b\n1,Grüße\n".encode()


def test_the_encoding_message_reaches_the_run_failure(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` prints the step failure's description: it must carry the hint."""
    write_csv(landing / "systemuser.csv", [user("u1", "Zoë")], encoding="cp1252")
    monkeypatch.setenv("RA_LANDING_DIR", str(landing))
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))

    result = dg.materialize(
        [build_extract_asset(TABLES["systemuser"])],
        resources={"run_settings": RunSettingsResource()},
        raise_on_error=False,
    )

    (failure,) = [event for event in result.all_events if event.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert "table 'systemuser'" in description and "line 2" in description
    assert "RA_LANDING_ENCODING=cp1252" in description


def test_landing_encoding_setting() -> None:
    assert parse_landing_encoding(None) == "utf-8"
    assert parse_landing_encoding(" cp1252 ") == "cp1252"
    with pytest.raises(ValueError, match="RA_LANDING_ENCODING='klingon'"):
        parse_landing_encoding("klingon")


# --- file names are paths, not patterns ----------------------------------------------------


def test_bracket_and_wildcard_names_are_read_as_they_are(landing: Path, warehouse: Path) -> None:
    folder = landing / "systemuser"
    write_csv(folder / "part1.csv", [user("u1")])
    write_csv(folder / "part[1].csv", [user("u2")])  # as a glob it matches part1.csv
    write_csv(folder / "pax.csv", [user("u3")])
    write_csv(folder / "p*x.csv", [user("u4")])  # as a glob it matches pax.csv (and p*x.csv)

    result = load(landing, warehouse)

    assert user_ids(warehouse) == ["u1", "u2", "u3", "u4"]
    assert query(warehouse, "select systemuserid, _source_file from raw.systemuser order by 1") == [
        ("u1", str(folder / "part1.csv")),
        ("u2", str(folder / "part[1].csv")),
        ("u3", str(folder / "pax.csv")),
        ("u4", str(folder / "p*x.csv")),
    ]
    assert result.rows_read == 4


def test_bracket_names_in_parquet(landing: Path, warehouse: Path) -> None:
    folder = landing / "systemuser"
    folder.mkdir()
    pq.write_table(user_arrow(["u1"]), folder / "part1.parquet")
    pq.write_table(user_arrow(["u2"]), folder / "part[1].parquet")
    pq.write_table(user_arrow(["u3"]), folder / "part?.parquet")

    load(landing, warehouse)

    assert user_ids(warehouse) == ["u1", "u2", "u3"]


def test_escape_glob() -> None:
    assert escape_glob("/data/d[1]/a*b?.csv") == "/data/d[[]1]/a[*]b[?].csv"
    assert escape_glob("plain.csv") == "plain.csv"


# --- corrupt files -------------------------------------------------------------------------


def corrupt_a_page_header(path: Path, damage: str) -> None:
    """Overwrite the middle column's first page header: absurd page sizes, or 0xff bytes
    (DuckDB then fails with an IO error or a bare "don't know what type")."""
    metadata = pq.ParquetFile(path).metadata
    column = metadata.row_group(0).column(USER_COLUMNS.index("fullname"))
    offset = column.dictionary_page_offset or column.data_page_offset
    data = bytearray(path.read_bytes())
    if damage == "sizes":
        huge = [0x15, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F]  # field 2/3 (page sizes): ~2 GB
        data[offset : offset + 14] = bytes([0x15, 0x00, *huge, *huge])
    else:
        data[offset : offset + 40] = bytes([0xFF] * 40)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["sizes", "garbage"])
def test_a_corrupt_parquet_file_is_named(landing: Path, warehouse: Path, damage: str) -> None:
    folder = landing / "systemuser"
    folder.mkdir()
    keys = [f"u{i:04d}" for i in range(500)]
    pq.write_table(user_arrow(keys[:250]), folder / "part-1.parquet")
    pq.write_table(user_arrow(keys[250:]), folder / "part-2.parquet")
    corrupt_a_page_header(folder / "part-2.parquet", damage)

    with pytest.raises(LandingDataError) as failure:
        load(landing, warehouse)

    message = str(failure.value)
    assert message.startswith(
        f"raw load failed: table 'systemuser', file '{folder / 'part-2.parquet'}'"
    )
    assert "export it again" in message
    assert failure.value.file == str(folder / "part-2.parquet")


# --- empty input never wipes good data -----------------------------------------------------


def test_a_header_only_file_does_not_wipe_the_table(landing: Path, warehouse: Path) -> None:
    path = write_csv(landing / "systemuser.csv", [user("u1"), user("u2")])
    load(landing, warehouse)
    before = query(warehouse, "select * from raw.systemuser order by all")
    path.write_text(",".join(USER_COLUMNS) + "\n", encoding="utf-8")

    with pytest.raises(LandingDataError) as failure:
        load(landing, warehouse)

    assert str(failure.value) == (
        f"raw load failed: table 'systemuser': no rows found in the file '{path}', but "
        "raw.systemuser holds 2 rows; the previous data is kept. If the table is empty on "
        "purpose, set RA_ALLOW_EMPTY_TABLES=systemuser (or all) and run again"
    )
    assert query(warehouse, "select * from raw.systemuser order by all") == before

    emptied = load(landing, warehouse, allow_empty=True)
    assert (emptied.rows_loaded, emptied.previous_rows) == (0, 2)
    assert user_ids(warehouse) == []


def test_every_row_flagged_deleted_also_needs_the_setting(landing: Path, warehouse: Path) -> None:
    write_csv(landing / "systemuser.csv", [user("u1", _fivetran_deleted="false")])
    load(landing, warehouse)
    write_csv(landing / "systemuser.csv", [user("u1", _fivetran_deleted="true")])

    with pytest.raises(LandingDataError, match="raw.systemuser holds 1 rows"):
        load(landing, warehouse)
    assert user_ids(warehouse) == ["u1"]


def test_a_first_load_may_be_empty(landing: Path, warehouse: Path) -> None:
    (landing / "systemuser.csv").write_text(",".join(USER_COLUMNS) + "\n", encoding="utf-8")

    result = load(landing, warehouse)

    assert (result.rows_loaded, result.previous_rows) == (0, None)
    assert user_ids(warehouse) == []


def test_allow_empty_tables_setting() -> None:
    assert parse_allow_empty_tables(None) == frozenset()
    assert parse_allow_empty_tables(" lead, Connection ") == {"lead", "connection"}
    assert parse_allow_empty_tables("lead,all") == {"all"}
    with pytest.raises(ValueError, match="unknown table"):
        parse_allow_empty_tables("leads")
    settings = Settings.from_env({"RA_ALLOW_EMPTY_TABLES": "lead"})
    assert (settings.allows_empty("lead"), settings.allows_empty("email")) == (True, False)
    assert Settings.from_env({"RA_ALLOW_EMPTY_TABLES": "all"}).allows_empty("email")


def test_the_run_stops_on_empty_input_unless_allowed(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(landing / "systemuser.csv", [user("u1"), user("u2"), user("u3")])
    monkeypatch.setenv("RA_LANDING_DIR", str(landing))
    monkeypatch.setenv("RA_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("RA_ALLOW_EMPTY_TABLES", raising=False)
    asset = build_extract_asset(TABLES["systemuser"])

    def run() -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [asset], resources={"run_settings": RunSettingsResource()}, raise_on_error=False
        )

    assert run().success
    path.write_text(",".join(USER_COLUMNS) + "\n", encoding="utf-8")
    failed = run()
    (failure,) = [event for event in failed.all_events if event.is_step_failure]
    assert "raw.systemuser holds 3 rows" in failure.step_failure_data.user_failure_data.description
    assert len(user_ids(warehouse)) == 3

    monkeypatch.setenv("RA_ALLOW_EMPTY_TABLES", "systemuser")
    emptied = run()
    assert emptied.success
    (materialization,) = emptied.asset_materializations_for_node("raw__systemuser")
    assert materialization.metadata["dagster/row_count"].value == 0
    assert user_ids(warehouse) == []
