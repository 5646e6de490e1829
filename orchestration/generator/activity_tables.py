"""The activity tables (email, appointment, phonecall) in the contract's columns, one row
chunk at a time: GUIDs, message ids and conversation indexes are recomputed per chunk
from integer indexes (ids.py), so ten million activities never sit in memory as strings.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import vocabulary as vocab
from .arrow_arrays import booleans, integers, join_text, take_or_null, timestamps, word_array
from .contexts import KIND_NAMES, Contexts
from .emails import Emails
from .ids import framed_guid_chars, guid_array, hash_hex, strings_from_buffers, strings_from_chars
from .meetings_and_calls import Appointments, PhoneCalls
from .spelling import Spelled

CONVERSATION_ROOT_CHARS = 44
CONVERSATION_REPLY_CHARS = 10


def _common(
    s: Spelled, ctx: Contexts, context: np.ndarray, owner: np.ndarray, subject: pa.Array
) -> dict[str, pa.Array]:
    return {
        "subject": subject,
        "regardingobjectid": take_or_null(s.context_id, context),
        "regardingobjecttypecode": take_or_null(word_array(KIND_NAMES), ctx.kind[context]),
        "ownerid": take_or_null(s.user_id, owner),
    }


def _subjects(templates, s: Spelled, template: np.ndarray, context: np.ndarray) -> pa.Array:
    flat = word_array(t for group in templates for t in group)
    return join_text(take_or_null(flat, template), take_or_null(s.context_name, context))


def _message_id_chars(seed: int, email: np.ndarray) -> np.ndarray:
    return framed_guid_chars(
        seed, "message", email, b"<", ("@" + vocab.MESSAGE_ID_DOMAIN + ">").encode()
    )


def conversation_indexes(seed: int, thread: np.ndarray, depth: np.ndarray, email: np.ndarray):
    """Outlook-style conversation indexes: 44 hex chars for the thread root, 10 more per
    reply level, so every reply's index extends its parent's (the parent is email - 1).

    Written straight into the Arrow data buffer: row i occupies offsets[i]..offsets[i+1].
    """
    root, step = CONVERSATION_ROOT_CHARS, CONVERSATION_REPLY_CHARS
    depth = depth.astype(np.int64)
    offsets = np.zeros(email.size + 1, dtype=np.int64)
    np.cumsum(root + step * depth, out=offsets[1:])
    data = np.empty(int(offsets[-1]), dtype=np.uint8)
    head = np.empty((email.size, root), dtype=np.uint8)
    head[:, :2] = np.frombuffer(b"01", dtype=np.uint8)
    head[:, 2:] = hash_hex(seed, "conversation", thread, root - 2)
    data[offsets[:-1, None] + np.arange(root)] = head
    for level in range(1, int(depth.max(initial=0)) + 1):
        rows = np.flatnonzero(depth >= level)
        ancestor = email[rows] - depth[rows] + level
        start = offsets[rows] + root + step * (level - 1)
        data[start[:, None] + np.arange(step)] = hash_hex(
            seed, "conversation-reply", ancestor, step
        )
    return strings_from_buffers(data, offsets)


def email_chunk(
    seed: int, s: Spelled, ctx: Contexts, e: Emails, lo: int, hi: int
) -> dict[str, pa.Array]:
    """Columns of e-mail rows lo..hi (half-open), row i's GUID hashed from (seed, i)."""
    rows = np.arange(lo, hi)
    sl = slice(lo, hi)
    depth = e.depth[sl]
    subject = join_text(
        take_or_null(word_array(("", "Re: ")), (depth > 0).astype(int)),
        _subjects(vocab.EMAIL_SUBJECTS, s, e.template[sl], e.context[sl]),
    )
    direction = e.directioncode[sl]
    replying = e.has_inreplyto[sl]
    message_ids = _message_id_chars(seed, np.arange(max(lo - 1, 0), hi))
    if lo == 0:  # the first e-mail has no parent; keep rows aligned with a dummy
        message_ids = np.concatenate([message_ids[:1], message_ids])
    return {
        "activityid": guid_array(seed, "email", rows),
        **_common(s, ctx, e.context[sl], e.owner[sl], subject),
        "directioncode": booleans(direction == 1, direction < 0),
        "senton": timestamps(e.senton[sl]),
        "statecode": integers(e.statecode[sl]),
        "statuscode": integers(e.statuscode[sl]),
        "messageid": strings_from_chars(message_ids[1:], valid=e.has_messageid[sl]),
        "inreplyto": strings_from_chars(message_ids[:-1], valid=replying),
        "conversationindex": conversation_indexes(seed, e.thread[sl], depth, rows),
        "isemailfollowed": booleans(e.isemailfollowed[sl]),
        "opencount": integers(e.opencount[sl]),
        "replycount": integers(e.replycount[sl]),
        "linksclickedcount": integers(e.linksclickedcount[sl]),
        "attachmentopencount": integers(e.attachmentopencount[sl]),
        "lastopenedtime": timestamps(e.lastopenedtime[sl]),
        "createdon": timestamps(e.createdon[sl]),
        "modifiedon": timestamps(e.modifiedon[sl]),
    }


def appointment_chunk(
    seed: int, s: Spelled, ctx: Contexts, a: Appointments, lo: int, hi: int
) -> dict[str, pa.Array]:
    """Columns of appointment rows lo..hi (half-open)."""
    sl = slice(lo, hi)
    subject = _subjects(vocab.APPOINTMENT_SUBJECTS, s, a.template[sl], a.context[sl])
    return {
        "activityid": guid_array(seed, "appointment", np.arange(lo, hi)),
        **_common(s, ctx, a.context[sl], a.owner[sl], subject),
        "scheduledstart": timestamps(a.scheduledstart[sl]),
        "scheduledend": timestamps(a.scheduledend[sl]),
        "scheduleddurationminutes": integers(a.scheduleddurationminutes[sl]),
        "actualstart": timestamps(a.actualstart[sl]),
        "actualend": timestamps(a.actualend[sl]),
        "actualdurationminutes": integers(a.actualdurationminutes[sl]),
        "statecode": integers(a.statecode[sl]),
        "createdon": timestamps(a.createdon[sl]),
        "modifiedon": timestamps(a.modifiedon[sl]),
    }


def phonecall_chunk(
    seed: int, s: Spelled, ctx: Contexts, p: PhoneCalls, lo: int, hi: int
) -> dict[str, pa.Array]:
    """Columns of phone call rows lo..hi (half-open)."""
    sl = slice(lo, hi)
    subject = _subjects(vocab.PHONECALL_SUBJECTS, s, p.template[sl], p.context[sl])
    return {
        "activityid": guid_array(seed, "phonecall", np.arange(lo, hi)),
        **_common(s, ctx, p.context[sl], p.owner[sl], subject),
        "directioncode": booleans(p.directioncode[sl] == 1),
        "scheduledstart": timestamps(p.scheduledstart[sl]),
        "actualstart": timestamps(p.actualstart[sl]),
        "actualend": timestamps(p.actualend[sl]),
        "actualdurationminutes": integers(p.actualdurationminutes[sl]),
        "statecode": integers(p.statecode[sl]),
        "createdon": timestamps(p.createdon[sl]),
        "modifiedon": timestamps(p.modifiedon[sl]),
    }
