"""The Synapse Link for Dataverse source, on export folders built by the tests.

A hand-made folder shows each rule of the format (no header, model.json column order,
IsDelete, versions, rows that gained columns mid-file, rows with more fields than the
model); the generated sample, exported the way Synapse Link writes it, must land in raw
exactly as the files source lands the same data.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.contract import TABLES
from orchestration.defs.extract import build_extract_asset
from orchestration.defs.resources import RunSettingsResource
from orchestration.generator import generate
from orchestration.sources.files import find_landing_files
from orchestration.sources.landing import load_landing_files
from orchestration.sources.raw_load_errors import LandingDataError
from orchestration.sources.synapse_link import load_synapse_link_table, read_model

SYSTEM_COLUMNS = ["Id", "SinkCreatedOn", "SinkModifiedOn"]
OBJECT_TYPE_CODES = {"account": 1, "contact": 2, "opportunity": 3, "lead": 4, "systemuser": 8}


def write_export(folder: Path, entities: dict[str, dict[str, list[list[object]]]], **columns):
    """model.json plus header-less CSV partitions: {entity: {partition: rows}}."""
    folder.mkdir(parents=True, exist_ok=True)
    model = {"name": "cdm", "version": "1.0", "entities": []}
    for entity, partitions in entities.items():
        model["entities"].append(
            {
                "$type": "LocalEntity",
                "name": entity,
                "attributes": [{"name": name, "dataType": "string"} for name in columns[entity]],
                "partitions": [
                    {
                        "name": partition,
                        "location": f"https://lake.dfs.core.windows.net/dataverse-org/"
                        f"{entity}/{partition}.csv",
                    }
                    for partition in partitions
                ],
            }
        )
        (folder / entity).mkdir(exist_ok=True)
        for partition, rows in partitions.items():
            with open(folder / entity / f"{partition}.csv", "w", newline="", encoding="utf-8") as f:
                csv.writer(f, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(
                    [["" if value is None else value for value in row] for row in rows]
                )
    (folder / "model.json").write_text(json.dumps(model, indent=2), encoding="utf-8")


def raw_rows(connection: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    columns = ", ".join(TABLES[table].columns)
    return connection.execute(f"select {columns} from raw.{table} order by all").fetchall()


# Contact's model: jobtitle was added last, so early rows lack it; the system columns.
CONTACT_COLUMNS = [
    *SYSTEM_COLUMNS, "contactid", "fullname", "emailaddress1", "parentcustomerid", "ownerid",
    "statecode", "createdon", "modifiedon", "versionnumber", "IsDelete", "jobtitle",
]  # fmt: skip


def contact(key: str, version: int, name: str | None, *rest: object, deleted: bool = False):
    fields = [key, "6/1/2025 10:00:00 AM", "6/1/2025 10:00:00 AM"]
    if deleted:  # a delete marker carries the key, its version and IsDelete
        return [*fields, None, None, None, None, None, None, None, None, version, "True"]
    return [
        *fields, key, name, f"{key}@example.com", "acc-1", "usr-1", 0,
        "2025-06-01T10:00:00.0000000Z", f"2025-06-{version:02d}T10:00:00.0000000Z", version,
        "False", *rest,
    ]  # fmt: skip


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    write_export(
        folder,
        {
            "contact": {
                "2025": [
                    contact("c1", 1, "Ann"),  # before jobtitle existed: one field short
                    contact("c2", 2, "Bo"),
                    contact("c1", 3, "Ann Updated", "CTO"),
                    contact("c2", 4, None, deleted=True),
                    contact("c3", 5, "Cy", "Buyer", "unnamed extra", "another"),
                ],
                "2026": [contact("c4", 6, "Di, Jr.", "Head of\nSales")],
            }
        },
        contact=CONTACT_COLUMNS,
    )
    return folder


def test_model_json_gives_column_order_and_partitions(export: Path) -> None:
    model = read_model(export)
    assert model["contact"].attributes == tuple(CONTACT_COLUMNS)
    assert model["contact"].partitions == ("contact/2025.csv", "contact/2026.csv")


def test_versions_deletes_and_columns_added_mid_file(export: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        loaded = load_synapse_link_table(connection, TABLES["contact"], export)
        rows = raw_rows(connection, "contact")
        lineage = connection.execute(
            "select contactid, _source_file, _source_row from raw.contact order by 1"
        ).fetchall()

    assert [(row[0], row[1], row[4]) for row in rows] == [
        ("c1", "Ann Updated", "CTO"),  # version 3 beats version 1
        ("c3", "Cy", "Buyer"),  # extra trailing fields dropped
        ("c4", "Di, Jr.", "Head of\nSales"),  # quoted comma and line break
    ]  # c2's latest version is a delete marker
    assert rows[0][-1] == datetime(2025, 6, 3, 10, 0)  # modifiedon, 7-digit fraction and Z
    assert (loaded.records, loaded.versions_superseded, loaded.rows_deleted) == (6, 2, 1)
    assert loaded.records_with_extra_fields == 1
    assert loaded.load.rows_loaded == 3
    assert lineage[0] == ("c1", str(export / "contact" / "2025.csv"), 3)
    assert lineage[2] == ("c4", str(export / "contact" / "2026.csv"), 1)


def test_a_version_without_number_counts_as_newest(tmp_path: Path) -> None:
    """In-place exports have no versionnumber; a later record of a key then wins."""
    columns = [c for c in CONTACT_COLUMNS if c not in ("versionnumber", "IsDelete")]
    first, second = contact("c1", 1, "Old", "x"), contact("c1", 2, "New", "y")
    strip = [CONTACT_COLUMNS.index("versionnumber"), CONTACT_COLUMNS.index("IsDelete")]
    rows = [[v for i, v in enumerate(row) if i not in strip] for row in (first, second)]
    write_export(tmp_path / "e", {"contact": {"2025": rows}}, contact=columns)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        load_synapse_link_table(connection, TABLES["contact"], tmp_path / "e")
        assert [row[1] for row in raw_rows(connection, "contact")] == ["New"]


def test_missing_table_or_partition_fails_and_keeps_raw(export: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        load_synapse_link_table(connection, TABLES["contact"], export)
        before = raw_rows(connection, "contact")

        with pytest.raises(LandingDataError, match="model.json has no entity 'lead'"):
            load_synapse_link_table(connection, TABLES["lead"], export)

        (export / "contact" / "2026.csv").unlink()
        with pytest.raises(LandingDataError, match="partition listed in model.json is missing"):
            load_synapse_link_table(connection, TABLES["contact"], export)
        assert raw_rows(connection, "contact") == before


def test_a_bad_value_names_the_partition_and_record(export: Path, tmp_path: Path) -> None:
    with open(export / "contact" / "2026.csv", "a", encoding="utf-8") as handle:
        row = contact("c5", 7, "Ed", "x")
        row[CONTACT_COLUMNS.index("statecode")] = "active"
        csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerow(row)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        with pytest.raises(LandingDataError) as error:
            load_synapse_link_table(connection, TABLES["contact"], export)
    message = str(error.value)
    assert f"file '{export / 'contact' / '2026.csv'}'" in message
    assert "column 'statecode', record 2: value 'active' is not an integer" in message


# --- the generated sample, exported as Synapse Link writes it ----------------------------


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # option sets and whole durations, as the lake writes them
    return value


def export_generated(landing: Path, folder: Path) -> None:
    """The generator's tables as an append-only Synapse Link export.

    Columns in a shuffled order (only model.json says where each is), lookups' target
    tables in `<lookup>_entitytype` columns or, for connections, as object type codes,
    rows spread over yearly partitions by createdon, and, for email, an earlier version
    of every tenth row and a created-then-deleted row, which must not reach raw.
    """
    shuffle = random.Random(7)
    entities, columns = {}, {}
    for table, contract in TABLES.items():
        rows = pq.read_table(landing / f"{table}.parquet").to_pylist()
        names = list(contract.columns)
        shuffle.shuffle(names)
        renamed = {
            "regardingobjecttypecode": "regardingobjectid_entitytype",
            "partyobjecttypecode": "partyid_entitytype",
        }
        header = [*SYSTEM_COLUMNS, *(renamed.get(name, name) for name in names)]
        header += ["versionnumber", "IsDelete"]
        partitions: dict[str, list[list[object]]] = {}
        for number, row in enumerate(rows):
            values = dict(row)
            for end in ("record1objecttypecode", "record2objecttypecode"):
                if end in values and values[end] is not None:
                    values[end] = OBJECT_TYPE_CODES[values[end]]
            year = str(values["createdon"].year) if values.get("createdon") else "2026"
            key = values[contract.primary_key]
            record = [key, None, None, *(_cell(values[name]) for name in names)]
            if table == "email" and number % 10 == 0:  # an older version first
                stale = dict(values, subject="stale version")
                older = [key, None, None, *(_cell(stale[name]) for name in names)]
                partitions.setdefault(year, []).append([*older, 1, "False"])
            partitions.setdefault(year, []).append([*record, 2, "False"])
        if table == "email":
            ghost = "00000000-0000-0000-0000-00000000dead"
            partitions["2026"] += [
                [ghost, None, None, *(_cell(rows[0][n]) if n != "activityid" else ghost
                                      for n in names), 1, "False"],
                [ghost, None, None, *([None] * len(names)), 2, "True"],
            ]  # fmt: skip
        entities[table] = partitions
        columns[table] = header
    write_export(folder, entities, **columns)


def test_generated_sample_lands_as_the_files_source_lands_it(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate(landing, activities=2000, seed=3, end_date="2026-06-30")
    export = tmp_path / "export"
    export_generated(landing, export)

    with (
        duckdb.connect(str(tmp_path / "files.duckdb")) as files,
        duckdb.connect(str(tmp_path / "synapse.duckdb")) as synapse,
    ):
        model = read_model(export)
        for table, contract in TABLES.items():
            load_landing_files(files, contract, find_landing_files(landing, table))
            loaded = load_synapse_link_table(synapse, contract, export, model)
            assert raw_rows(synapse, table) == raw_rows(files, table), table
            if table == "email":
                assert (loaded.versions_superseded, loaded.rows_deleted) == (121, 1)
        assert len(model["email"].partitions) >= 2


def test_materialize_extract_asset_from_synapse_link(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RA_SOURCE", "synapse_link")
    monkeypatch.setenv("RA_LANDING_DIR", str(export))
    monkeypatch.setenv("RA_WAREHOUSE", str(tmp_path / "w.duckdb"))

    result = dg.materialize(
        [build_extract_asset(TABLES["contact"])], resources={"run_settings": RunSettingsResource()}
    )

    (materialization,) = result.asset_materializations_for_node("raw__contact")
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    assert metadata["source_format"] == "synapse_link"
    assert metadata["dagster/row_count"] == 3
    assert (metadata["records_read"], metadata["rows_deleted"]) == (6, 1)
    assert metadata["versions_superseded"] == 2
    assert metadata["source_files"] == [
        str(export / "contact" / "2025.csv"),
        str(export / "contact" / "2026.csv"),
    ]


# --- incremental-update profiles: time-stamped interval folders -----------------------------


def write_interval(root: Path, name: str, rows: list[list[object]], columns: list[str]) -> Path:
    """One interval folder `<root>/<name>/` with its own model.json and contact/ partition."""
    write_export(root / name, {"contact": {"part-0001": rows} if rows else {}}, contact=columns)
    if not rows:
        (root / name / "contact").rmdir()  # the table did not change in this interval
    return root / name / "contact" / "part-0001.csv"


@pytest.fixture
def incremental(tmp_path: Path) -> Path:
    """Three intervals; jobtitle was added to the model between the first and the second."""
    root = tmp_path / "incremental"
    write_export(root, {"contact": {}}, contact=CONTACT_COLUMNS)  # root model: no partitions
    (root / "contact").rmdir()
    before_jobtitle = CONTACT_COLUMNS[:-1]
    write_interval(
        root, "2026-06-15T00.15.00Z", [contact("c1", 1, "Ann"), contact("c2", 2, "Bo")],
        before_jobtitle,
    )  # fmt: skip
    write_interval(
        root,
        "2026-06-15T00.30.00Z",
        [
            contact("c1", 3, "Ann Updated", "CTO"),
            contact("c2", 4, None, deleted=True),
            contact("c3", 5, "Cy", "Buyer"),
        ],
        CONTACT_COLUMNS,
    )
    write_interval(root, "2026-06-15T01.00.00Z", [], CONTACT_COLUMNS)
    return root


def test_incremental_intervals_are_read_in_time_order(incremental: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        loaded = load_synapse_link_table(connection, TABLES["contact"], incremental)
        rows = raw_rows(connection, "contact")
        lineage = connection.execute(
            "select contactid, _source_file, _source_row from raw.contact order by 1"
        ).fetchall()

    assert [(row[0], row[1], row[4]) for row in rows] == [
        ("c1", "Ann Updated", "CTO"),  # the second interval's version 3 beats version 1
        ("c3", "Cy", "Buyer"),
    ]  # c2 was deleted in the second interval
    assert (loaded.records, loaded.versions_superseded, loaded.rows_deleted) == (5, 2, 1)
    assert loaded.load.rows_loaded == 2
    second = incremental / "2026-06-15T00.30.00Z" / "contact" / "part-0001.csv"
    assert lineage == [("c1", str(second), 1), ("c3", str(second), 3)]
    assert loaded.files == (
        str(incremental / "2026-06-15T00.15.00Z" / "contact" / "part-0001.csv"),
        str(second),
    )


def test_a_later_interval_wins_without_version_numbers(tmp_path: Path) -> None:
    root = tmp_path / "incremental"
    write_export(root, {"contact": {}}, contact=CONTACT_COLUMNS)
    strip = [CONTACT_COLUMNS.index("versionnumber")]
    columns = [c for i, c in enumerate(CONTACT_COLUMNS) if i not in strip]

    def unversioned(*args, **kwargs) -> list[object]:
        return [v for i, v in enumerate(contact(*args, **kwargs)) if i not in strip]

    # Folder names sort in time order; the later interval's row for c1 must win.
    write_interval(root, "2026-06-15T10.00.00Z", [unversioned("c1", 2, "Later", "x")], columns)
    write_interval(root, "2026-06-15T09.45.00Z", [unversioned("c1", 1, "Earlier", "y")], columns)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        load_synapse_link_table(connection, TABLES["contact"], root)
        assert [row[1] for row in raw_rows(connection, "contact")] == ["Later"]


def test_an_export_that_finds_nothing_keeps_raw(export: Path, tmp_path: Path) -> None:
    """A profile switched to incremental updates (root model.json without partitions) and
    no interval yet: no rows found, so raw keeps its 3 contacts."""
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        load_synapse_link_table(connection, TABLES["contact"], export)
        before = raw_rows(connection, "contact")
        write_export(export, {"contact": {}}, contact=CONTACT_COLUMNS)
        for path in (export / "contact").iterdir():
            path.unlink()

        with pytest.raises(LandingDataError) as failure:
            load_synapse_link_table(connection, TABLES["contact"], export)
        assert raw_rows(connection, "contact") == before

        emptied = load_synapse_link_table(connection, TABLES["contact"], export, allow_empty=True)
        assert (emptied.load.rows_loaded, emptied.load.previous_rows) == (0, 3)
    assert str(failure.value).startswith(
        f"raw load failed: table 'contact': no rows found in the Synapse Link export "
        f"'{export}' (folder contact/ and model.json), but raw.contact holds 3 rows"
    )
