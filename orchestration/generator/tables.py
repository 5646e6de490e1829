"""Spell the numeric model out as Arrow tables in the contract's columns.

Entity tables are small and built whole. Activity and party tables are built in row
chunks: their GUIDs, message ids and conversation indexes are recomputed per chunk from
integer indexes (ids.py), so ten million activities never sit in memory as strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import vocabulary as vocab
from .contexts import KIND_NAMES, Contexts
from .emails import Emails
from .entities import RECORD_CONTACT, RECORD_OPPORTUNITY, Entities
from .ids import (
    framed_guid_chars,
    guid_array,
    guid_chars,
    hash_hex,
    strings_from_buffers,
    strings_from_chars,
    uniform,
)
from .meetings_and_calls import Appointments, PhoneCalls
from .parties import PARTY_TYPE_NAMES, UNRESOLVED, Parties
from .sampling import NULL

ENGAGEMENT_COLUMN = "generator_engagement_profile"
CONVERSATION_ROOT_CHARS = 44
CONVERSATION_REPLY_CHARS = 10


def _words(words) -> pa.Array:
    return pa.array(list(words), type=pa.string())


def _take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """values[index], null where index < 0."""
    index = np.asarray(index, dtype=np.int64)
    missing = index < 0
    if missing.any():
        return values.take(pa.array(np.where(missing, 0, index), mask=missing))
    return values.take(pa.array(index))


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def timestamps(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds (NULL marker = null) as naive UTC microsecond timestamps."""
    seconds = np.asarray(seconds, dtype=np.int64)
    missing = seconds == NULL
    micros = np.where(missing, 0, seconds) * 1_000_000
    return pa.array(micros, type=pa.timestamp("us"), mask=missing if missing.any() else None)


def dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    missing = days == NULL
    return pa.array(
        np.where(missing, 0, days).astype(np.int32),
        type=pa.date32(),
        mask=missing if missing.any() else None,
    )


def integers(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    missing = values == NULL
    return pa.array(
        np.where(missing, 0, values).astype(np.int32),
        type=pa.int32(),
        mask=missing if missing.any() else None,
    )


def booleans(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_(), mask=missing)


def duplicate_rank(*codes: np.ndarray) -> np.ndarray:
    """0 for the first row with its combination of codes, 1 for the second, and so on."""
    key = np.zeros(codes[0].size, dtype=np.int64)
    for code in codes:
        key = key * np.int64(int(code.max(initial=0)) + 1) + code
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = sorted_key[1:] != sorted_key[:-1]
    position = np.arange(key.size)
    rank_sorted = position - np.maximum.accumulate(np.where(first, position, 0))
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    return rank


def _rank_suffix(rank: np.ndarray, separator: str) -> pa.Array:
    text = pc.cast(pa.array(rank + 1), pa.string())
    return pc.if_else(pa.array(rank > 0), _join(separator, text), "")


@dataclass
class Spelled:
    """Every id, name and address of the entities, as Arrow arrays indexed by row."""

    user_id: pa.Array
    user_name: pa.Array
    user_email: pa.Array
    unit_id: pa.Array
    account_id: pa.Array
    account_name: pa.Array
    account_domain: pa.Array
    contact_id: pa.Array
    contact_name: pa.Array
    contact_email: pa.Array
    lead_id: pa.Array
    lead_name: pa.Array
    lead_company: pa.Array
    lead_email: pa.Array
    opportunity_id: pa.Array
    role_id: pa.Array
    context_id: pa.Array  # regardingobjectid per context (null for none)
    context_name: pa.Array  # display name used in subjects
    party_id: pa.Array  # users, contacts, accounts, leads concatenated
    party_address: pa.Array
    party_offset: np.ndarray  # by party type


def spell(ent: Entities, ctx: Contexts, seed: int) -> Spelled:
    first, last = _words(vocab.FIRST_NAMES), _words(vocab.LAST_NAMES)
    first_lower = pc.utf8_lower(first)
    last_lower = pc.utf8_lower(last)
    users, acc, con, lead, opp = (
        ent.users,
        ent.accounts,
        ent.contacts,
        ent.leads,
        ent.opportunities,
    )

    def person(f: np.ndarray, la: np.ndarray) -> pa.Array:
        return _join(_take(first, f), " ", _take(last, la))

    def mailbox(f: np.ndarray, la: np.ndarray, rank: np.ndarray) -> pa.Array:
        return _join(_take(first_lower, f), ".", _take(last_lower, la), _rank_suffix(rank, ""))

    # Companies of accounts and of leads without an account share one name space.
    no_account = lead.account < 0
    words = np.concatenate([acc.name_words, lead.company_words[no_account]])
    name_rank = duplicate_rank(words[:, 0], words[:, 1], words[:, 2])
    domain_rank = duplicate_rank(words[:, 0], words[:, 1])
    w1, w2, sfx = (
        _words(vocab.COMPANY_WORDS_1),
        _words(vocab.COMPANY_WORDS_2),
        _words(vocab.COMPANY_SUFFIXES),
    )
    company = _join(
        _take(w1, words[:, 0]),
        " ",
        _take(w2, words[:, 1]),
        " ",
        _take(sfx, words[:, 2]),
        _rank_suffix(name_rank, " "),
    )
    domain = _join(
        pc.utf8_lower(_take(w1, words[:, 0])),
        "-",
        pc.utf8_lower(_take(w2, words[:, 1])),
        _rank_suffix(domain_rank, "-"),
        ".example.com",
    )
    n_acc = acc.owner.size
    account_name, account_domain = company[:n_acc], domain[:n_acc]

    user_email = _join(
        mailbox(
            users.first_name, users.last_name, duplicate_rank(users.first_name, users.last_name)
        ),
        "@" + vocab.TEAM_DOMAIN,
    )
    free = _words(vocab.FREE_MAIL_DOMAINS)
    n_con = con.owner.size
    free_pick = uniform(seed, "contact-mail", np.arange(n_con)) * len(vocab.FREE_MAIL_DOMAINS)
    con_domain = pc.coalesce(_take(account_domain, con.account), _take(free, free_pick.astype(int)))
    con_rank = duplicate_rank(con.first_name, con.last_name, con.account + 1)
    contact_email = _join(mailbox(con.first_name, con.last_name, con_rank), "@", con_domain)

    # A lead's company: its account, else its own (generated) company.
    lead_company_row = np.full(lead.owner.size, -1, dtype=np.int64)
    lead_company_row[no_account] = n_acc + np.arange(no_account.sum())
    lead_company_row = np.where(no_account, lead_company_row, lead.account)
    lead_company = _take(company, lead_company_row)
    lead_domain = _take(domain, lead_company_row)
    lead_rank = duplicate_rank(lead.first_name, lead.last_name, lead_company_row)
    own_email = _join(mailbox(lead.first_name, lead.last_name, lead_rank), "@", lead_domain)
    lead_email = pc.coalesce(_take(contact_email, lead.contact), own_email)

    user_id = guid_array(seed, "systemuser", np.arange(users.first_name.size))
    account_id = guid_array(seed, "account", np.arange(n_acc))
    contact_id = guid_array(seed, "contact", np.arange(n_con))
    lead_id = guid_array(seed, "lead", np.arange(lead.owner.size))
    opportunity_id = guid_array(seed, "opportunity", np.arange(opp.owner.size))
    contact_name = person(con.first_name, con.last_name)
    lead_name = person(lead.first_name, lead.last_name)

    context_id = pa.concat_arrays(
        [opportunity_id, lead_id, contact_id, account_id, pa.nulls(1, pa.string())]
    )
    context_name = pa.concat_arrays(
        [
            _take(account_name, opp.account),
            lead_company,
            contact_name,
            account_name,
            pa.array([""], type=pa.string()),
        ]
    )
    account_address = _join("info@", account_domain)
    sizes = [users.first_name.size, n_con, n_acc, lead.owner.size]
    return Spelled(
        user_id=user_id,
        user_name=person(users.first_name, users.last_name),
        user_email=user_email,
        unit_id=guid_array(seed, "businessunit", np.arange(ent.sizes.business_units)),
        account_id=account_id,
        account_name=account_name,
        account_domain=account_domain,
        contact_id=contact_id,
        contact_name=contact_name,
        contact_email=contact_email,
        lead_id=lead_id,
        lead_name=lead_name,
        lead_company=lead_company,
        lead_email=lead_email,
        opportunity_id=opportunity_id,
        role_id=guid_array(seed, "connectionrole", np.arange(len(vocab.CONNECTION_ROLES))),
        context_id=context_id,
        context_name=context_name,
        party_id=pa.concat_arrays([user_id, contact_id, account_id, lead_id]),
        party_address=pa.concat_arrays([user_email, contact_email, account_address, lead_email]),
        party_offset=np.concatenate([[0], np.cumsum(sizes)]),
    )


# ---------------------------------------------------------------------- entity tables


def entity_tables(ent: Entities, s: Spelled, seed: int) -> dict[str, pa.Table]:
    users, acc, con, lead, opp, conn = (
        ent.users,
        ent.accounts,
        ent.contacts,
        ent.leads,
        ent.opportunities,
        ent.connections,
    )
    out: dict[str, pa.Table] = {}
    out["systemuser"] = pa.table(
        {
            "systemuserid": s.user_id,
            "fullname": s.user_name,
            "internalemailaddress": s.user_email,
            "businessunitid": _take(s.unit_id, users.business_unit),
            "isdisabled": booleans(users.is_disabled),
            "modifiedon": timestamps(users.modifiedon),
        }
    )
    out["account"] = pa.table(
        {
            "accountid": s.account_id,
            "name": s.account_name,
            "primarycontactid": _take(s.contact_id, acc.primary_contact),
            "industrycode": integers(acc.industrycode),
            "numberofemployees": integers(acc.numberofemployees),
            "revenue": pa.array(acc.revenue, type=pa.float64()),
            "ownerid": _take(s.user_id, acc.owner),
            "statecode": integers(acc.statecode),
            "createdon": timestamps(acc.createdon),
            "modifiedon": timestamps(acc.modifiedon),
        }
    )
    out["contact"] = pa.table(
        {
            "contactid": s.contact_id,
            "fullname": s.contact_name,
            "emailaddress1": s.contact_email,
            "parentcustomerid": _take(s.account_id, con.account),
            "jobtitle": _take(_words(vocab.JOB_TITLES), con.job_title),
            "ownerid": _take(s.user_id, con.owner),
            "statecode": integers(con.statecode),
            "createdon": timestamps(con.createdon),
            "modifiedon": timestamps(con.modifiedon),
        }
    )
    out["lead"] = pa.table(
        {
            "leadid": s.lead_id,
            "fullname": s.lead_name,
            "companyname": s.lead_company,
            "emailaddress1": s.lead_email,
            "parentaccountid": _take(s.account_id, lead.account),
            "parentcontactid": _take(s.contact_id, lead.contact),
            "ownerid": _take(s.user_id, lead.owner),
            "statecode": integers(lead.statecode),
            "createdon": timestamps(lead.createdon),
            "modifiedon": timestamps(lead.modifiedon),
        }
    )
    actual = opp.actualvalue
    out["opportunity"] = pa.table(
        {
            "opportunityid": s.opportunity_id,
            "name": _join(
                _take(s.account_name, opp.account),
                " - ",
                _take(_words(vocab.PRODUCTS), opp.product),
            ),
            "parentaccountid": _take(s.account_id, opp.account),
            "parentcontactid": _take(s.contact_id, opp.contact),
            "ownerid": _take(s.user_id, opp.owner),
            "estimatedvalue": pa.array(opp.estimatedvalue, type=pa.float64()),
            "actualvalue": pa.array(
                np.nan_to_num(actual), type=pa.float64(), mask=np.isnan(actual)
            ),
            "estimatedclosedate": dates(opp.estimatedclosedate),
            "actualclosedate": dates(opp.actualclosedate),
            "statecode": integers(opp.statecode),
            "createdon": timestamps(opp.createdon),
            "modifiedon": timestamps(opp.modifiedon),
            ENGAGEMENT_COLUMN: _take(_words(("lost_like", "won_like")), opp.won_like.astype(int)),
        }
    )
    out["connectionrole"] = pa.table(
        {
            "connectionroleid": s.role_id,
            "name": _words(name for name, _ in vocab.CONNECTION_ROLES),
            "category": pa.array([c for _, c in vocab.CONNECTION_ROLES], type=pa.int32()),
        }
    )
    is_opp = conn.record1_type == RECORD_OPPORTUNITY
    is_contact = conn.record2_type == RECORD_CONTACT
    out["connection"] = pa.table(
        {
            "connectionid": guid_array(seed, "connection", np.arange(conn.record1.size)),
            "record1id": pc.if_else(
                pa.array(is_opp),
                _take(s.opportunity_id, np.where(is_opp, conn.record1, 0)),
                _take(s.lead_id, np.where(is_opp, 0, conn.record1)),
            ),
            "record1objecttypecode": _take(_words(("opportunity", "lead")), (~is_opp).astype(int)),
            "record2id": pc.if_else(
                pa.array(is_contact),
                _take(s.contact_id, np.where(is_contact, conn.record2, 0)),
                _take(s.user_id, np.where(is_contact, 0, conn.record2)),
            ),
            "record2objecttypecode": _take(
                _words(("contact", "systemuser")), (~is_contact).astype(int)
            ),
            "record2roleid": _take(s.role_id, conn.role),
            "statecode": integers(conn.statecode),
            "modifiedon": timestamps(conn.modifiedon),
        }
    )
    return out


# -------------------------------------------------------------------- activity tables


def _common(
    s: Spelled, ctx: Contexts, context: np.ndarray, owner: np.ndarray, subject: pa.Array
) -> dict[str, pa.Array]:
    return {
        "subject": subject,
        "regardingobjectid": _take(s.context_id, context),
        "regardingobjecttypecode": _take(_words(KIND_NAMES), ctx.kind[context]),
        "ownerid": _take(s.user_id, owner),
    }


def _subjects(templates, s: Spelled, template: np.ndarray, context: np.ndarray) -> pa.Array:
    flat = _words(t for group in templates for t in group)
    return _join(_take(flat, template), _take(s.context_name, context))


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
    rows = np.arange(lo, hi)
    sl = slice(lo, hi)
    depth = e.depth[sl]
    subject = _join(
        _take(_words(("", "Re: ")), (depth > 0).astype(int)),
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


def _external_addresses(seed: int, number: np.ndarray) -> pa.Array:
    """Addresses that match no CRM record, e.g. a customer's assistant on a free mailer."""
    n_first, n_last = len(vocab.FIRST_NAMES), len(vocab.LAST_NAMES)
    f = (uniform(seed, "external-first", number) * n_first).astype(np.int64)
    la = (uniform(seed, "external-last", number) * n_last).astype(np.int64)
    d = (uniform(seed, "external-domain", number) * len(vocab.FREE_MAIL_DOMAINS)).astype(np.int64)
    return _join(
        _take(pc.utf8_lower(_words(vocab.FIRST_NAMES)), f),
        ".",
        _take(pc.utf8_lower(_words(vocab.LAST_NAMES)), la),
        pc.cast(pa.array(number % 1000), pa.string()),
        "@",
        _take(_words(vocab.FREE_MAIL_DOMAINS), d),
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
    address = _take(s.party_address, row)
    if external.any():
        address = pc.replace_with_mask(
            address, pa.array(external), _external_addresses(seed, pidx[external])
        )
    return {
        "activitypartyid": guid_array(seed, "activityparty", np.arange(lo, hi) + first_id),
        "activityid": _repeated_guids(seed, activity_table, parties.activity[sl]),
        "partyid": _take(s.party_id, row),
        "partyobjecttypecode": _take(_words(PARTY_TYPE_NAMES), ptype),
        "participationtypemask": integers(parties.mask[sl]),
        "addressused": address,
    }


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """Row ranges of at most `size` rows; one empty range for an empty table."""
    if total == 0:
        yield 0, 0
    for lo in range(0, total, size):
        yield lo, min(lo + size, total)
