"""Pure pieces of the Dataverse package, checked without a server or a warehouse."""

from __future__ import annotations

from orchestration.sources.dataverse.load import describer
from orchestration.sources.dataverse.parties import PARTY_FILTER_BATCH, party_filters
from orchestration.sources.dataverse.schema import ENTITY_SPECS, deleted_key
from orchestration.sources.raw_sql import quote_identifier, quote_literal

GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_deleted_entries_of_both_odata_versions_give_the_lower_case_id() -> None:
    v40 = {"@odata.context": "$metadata#emails/$deletedEntity", "id": GUID.upper()}
    v401 = {"@removed": {"reason": "deleted"}, "@id": f"emails({GUID})"}
    assert deleted_key(v40) == GUID
    assert deleted_key(v401) == GUID
    assert deleted_key({"activityid": GUID, "subject": "Hello"}) is None


def test_lookup_type_columns_read_the_logical_name_annotation() -> None:
    fields = {field.column: field.key for field in ENTITY_SPECS["email"].fields}
    assert fields["regardingobjectid"] == "_regardingobjectid_value"
    assert fields["regardingobjecttypecode"] == (
        "_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname"
    )
    assert fields["subject"] == "subject"


def test_party_filters_batch_sorted_unique_ids() -> None:
    ids = [f"00000000-0000-0000-0000-{n:012d}" for n in range(PARTY_FILTER_BATCH + 1)]
    batches = list(party_filters(ids + ids[:3]))  # repeats are asked for once
    assert len(batches) == 2
    assert batches[0].count(" or ") == PARTY_FILTER_BATCH - 1
    assert batches[1] == f"_activityid_value eq {ids[-1]}"


def test_positions_are_worded_by_page() -> None:
    describe = describer("dataverse:emails", [1, 6])  # pages of five entries
    assert describe("dataverse:emails", 5) == "record 5 of the response (page 1)"
    assert describe("dataverse:emails", 6) == "record 6 of the response (page 2)"
    assert describe("raw", 3) == "row 3"


def test_quoting_doubles_the_quote_character() -> None:
    assert quote_identifier('a"b') == '"a""b"'
    assert quote_literal("it's") == "'it''s'"
