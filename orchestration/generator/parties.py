"""Parties of activities (the activityparty rows) as numbers: who (party type and entity
row) takes part in which activity and in which role (participationtypemask).

The activity models add party rows slot by slot (`PartySlots`); `assemble_parties` then
drops a person's second role in one activity and orders the rows by activity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Party types, in the order of PARTY_TYPE_NAMES (the partyobjecttypecode).
USER, P_CONTACT, P_ACCOUNT, P_LEAD, UNRESOLVED = range(5)
PARTY_TYPE_NAMES = ("systemuser", "contact", "account", "lead", None)

# participationtypemask values written.
SENDER, TO, CC, BCC, REQUIRED, OPTIONAL, ORGANIZER = 1, 2, 3, 4, 5, 6, 7


@dataclass
class PartySlots:
    """Party rows being collected for one activity table, before de-duplication."""

    activity: list[np.ndarray]
    ptype: list[np.ndarray]
    pidx: list[np.ndarray]
    mask: list[np.ndarray]

    @classmethod
    def empty(cls) -> PartySlots:
        return cls([], [], [], [])

    def add(self, rows: np.ndarray, ptype, pidx, mask: int) -> None:
        rows = np.asarray(rows, dtype=np.int32)
        self.activity.append(rows)
        self.ptype.append(np.broadcast_to(np.asarray(ptype, dtype=np.int8), rows.shape).copy())
        self.pidx.append(np.broadcast_to(np.asarray(pidx, dtype=np.int32), rows.shape).copy())
        self.mask.append(np.full(rows.shape, mask, dtype=np.int8))


@dataclass
class Parties:
    activity: np.ndarray  # row of the activity table
    ptype: np.ndarray
    pidx: np.ndarray  # entity row; for UNRESOLVED a running number (spells the address)
    mask: np.ndarray

    @property
    def size(self) -> int:
        return self.activity.size


def _bits(x: np.ndarray) -> int:
    return max(int(x.max(initial=0)).bit_length(), 1)


def assemble_parties(slots: PartySlots, unresolved_base: int) -> Parties:
    """Concatenate slots, drop a person's second role in one activity, order by activity.

    The slot order is the priority: a contact who is both sender and cc stays the sender.
    """
    slot = np.concatenate([np.full(a.size, i, dtype=np.int8) for i, a in enumerate(slots.activity)])
    activity = np.concatenate(slots.activity)
    ptype = np.concatenate(slots.ptype)
    pidx = np.concatenate(slots.pidx)
    mask = np.concatenate(slots.mask)
    for parts in (slots.activity, slots.ptype, slots.pidx, slots.mask):
        parts.clear()
    external = ptype == UNRESOLVED
    pidx[external] = np.arange(np.count_nonzero(external)) + unresolved_base  # never merged

    b_slot, b_pidx, b_act = _bits(slot), _bits(pidx), _bits(activity)
    if b_act + 3 + b_pidx + b_slot > 63:
        order = np.lexsort((slot, pidx, ptype, activity))
    else:
        key = activity.astype(np.int64) << 3 | ptype
        key = (key << b_pidx | pidx) << b_slot | slot
        order = np.argsort(key, kind="stable")
        del key
    a, t, p = activity[order], ptype[order], pidx[order]
    duplicate = np.zeros(order.size, dtype=bool)
    duplicate[1:] = (a[1:] == a[:-1]) & (t[1:] == t[:-1]) & (p[1:] == p[:-1])
    del a, t, p
    kept = order[~duplicate]
    del order, duplicate
    kept = kept[np.argsort(activity[kept].astype(np.int64) << b_slot | slot[kept], kind="stable")]
    return Parties(activity=activity[kept], ptype=ptype[kept], pidx=pidx[kept], mask=mask[kept])
