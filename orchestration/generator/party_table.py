"""The activityparty table in the contract's columns, one row chunk at a time: party ids
and addresses looked up from `Spelled`, made-up outside addresses for unresolved parties.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import vocabulary as vocab
from .arrow_arrays import integers, join_text, take_or_null, word_array
from .ids import guid_array, guid_chars, strings_from_chars, uniform
from .parties import PARTY_TYPE_NAMES, UNRESOLVED, Parties
from .spelling import Spelled


def _external_addresses(seed: int, number: np.ndarray) -> pa.Array:
    """Addresses that match no CRM record, e.g. a customer's assistant on a free mailer."""
    n_first, n_last = len(vocab.FIRST_NAMES), len(vocab.LAST_NAMES)
    f = (uniform(seed, "external-first", number) * n_first).astype(np.int64)
    la = (uniform(seed, "external-last", number) * n_last).astype(np.int64)
    d = (uniform(seed, "external-domain", number) * len(vocab.FREE_MAIL_DOMAINS)).astype(np.int64)
    return join_text(
        take_or_null(pc.utf8_lower(word_array(vocab.FIRST_NAMES)), f),
        ".",
        take_or_null(pc.utf8_lower(word_array(vocab.LAST_NAMES)), la),
        pc.cast(pa.array(number % 1000), pa.string()),
        "@",
        take_or_null(word_array(vocab.FREE_MAIL_DOMAINS), d),
    )


def _repeated_guids(seed: int, namespace: str, index: np.ndarray) -> pa.Array:
    """GUIDs of a sorted index with repeats (parties of one activity): hash each once."""
    if index.size == 0:
        return guid_array(seed, namespace, index)
    first = np.ones(index.size, dtype=bool)
    first[1:] = index[1:] != index[:-1]
    chars = guid_chars(seed, namespace, index[first])
    return strings_from_chars(chars[np.cumsum(first) - 1])


def party_chunk(
    seed: int, s: Spelled, activity_table: str, parties: Parties, first_id: int, lo: int, hi: int
) -> dict[str, pa.Array]:
    """Rows lo..hi of one activity table's parties; ids continue from first_id."""
    sl = slice(lo, hi)
    ptype, pidx = parties.ptype[sl], parties.pidx[sl]
    external = ptype == UNRESOLVED
    row = np.where(external, -1, s.party_offset[np.minimum(ptype, 3)] + pidx)
    address = take_or_null(s.party_address, row)
    if external.any():
        address = pc.replace_with_mask(
            address, pa.array(external), _external_addresses(seed, pidx[external])
        )
    return {
        "activitypartyid": guid_array(seed, "activityparty", np.arange(lo, hi) + first_id),
        "activityid": _repeated_guids(seed, activity_table, parties.activity[sl]),
        "partyid": take_or_null(s.party_id, row),
        "partyobjecttypecode": take_or_null(word_array(PARTY_TYPE_NAMES), ptype),
        "participationtypemask": integers(parties.mask[sl]),
        "addressused": address,
    }
