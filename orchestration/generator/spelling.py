"""Spell the entities out: every GUID, person name, company name and e-mail address, as
Arrow arrays indexed by entity row (`Spelled`), computed once and used by every table.

Names that repeat get a rank suffix (`anna.berg2@...`, `Nordic Data AB 2`), so addresses
and company names stay unique; GUIDs come from ids.py (a hash of seed, namespace, row).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import vocabulary as vocab
from .arrow_arrays import join_text, take_or_null, word_array
from .contexts import Contexts
from .entities import Entities
from .ids import guid_array, uniform


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
    return pc.if_else(pa.array(rank > 0), join_text(separator, text), "")


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
    """Every id, name and address of `ent` and of each context of `ctx`."""
    first, last = word_array(vocab.FIRST_NAMES), word_array(vocab.LAST_NAMES)
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
        return join_text(take_or_null(first, f), " ", take_or_null(last, la))

    def mailbox(f: np.ndarray, la: np.ndarray, rank: np.ndarray) -> pa.Array:
        return join_text(
            take_or_null(first_lower, f), ".", take_or_null(last_lower, la), _rank_suffix(rank, "")
        )

    # Companies of accounts and of leads without an account share one name space.
    no_account = lead.account < 0
    words = np.concatenate([acc.name_words, lead.company_words[no_account]])
    name_rank = duplicate_rank(words[:, 0], words[:, 1], words[:, 2])
    domain_rank = duplicate_rank(words[:, 0], words[:, 1])
    w1, w2, sfx = (
        word_array(vocab.COMPANY_WORDS_1),
        word_array(vocab.COMPANY_WORDS_2),
        word_array(vocab.COMPANY_SUFFIXES),
    )
    company = join_text(
        take_or_null(w1, words[:, 0]),
        " ",
        take_or_null(w2, words[:, 1]),
        " ",
        take_or_null(sfx, words[:, 2]),
        _rank_suffix(name_rank, " "),
    )
    domain = join_text(
        pc.utf8_lower(take_or_null(w1, words[:, 0])),
        "-",
        pc.utf8_lower(take_or_null(w2, words[:, 1])),
        _rank_suffix(domain_rank, "-"),
        ".example.com",
    )
    n_acc = acc.owner.size
    account_name, account_domain = company[:n_acc], domain[:n_acc]

    user_email = join_text(
        mailbox(
            users.first_name, users.last_name, duplicate_rank(users.first_name, users.last_name)
        ),
        "@" + vocab.TEAM_DOMAIN,
    )
    free = word_array(vocab.FREE_MAIL_DOMAINS)
    n_con = con.owner.size
    free_pick = uniform(seed, "contact-mail", np.arange(n_con)) * len(vocab.FREE_MAIL_DOMAINS)
    con_domain = pc.coalesce(
        take_or_null(account_domain, con.account), take_or_null(free, free_pick.astype(int))
    )
    con_rank = duplicate_rank(con.first_name, con.last_name, con.account + 1)
    contact_email = join_text(mailbox(con.first_name, con.last_name, con_rank), "@", con_domain)

    # A lead's company: its account, else its own (generated) company.
    lead_company_row = np.full(lead.owner.size, -1, dtype=np.int64)
    lead_company_row[no_account] = n_acc + np.arange(no_account.sum())
    lead_company_row = np.where(no_account, lead_company_row, lead.account)
    lead_company = take_or_null(company, lead_company_row)
    lead_domain = take_or_null(domain, lead_company_row)
    lead_rank = duplicate_rank(lead.first_name, lead.last_name, lead_company_row)
    own_email = join_text(mailbox(lead.first_name, lead.last_name, lead_rank), "@", lead_domain)
    lead_email = pc.coalesce(take_or_null(contact_email, lead.contact), own_email)

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
            take_or_null(account_name, opp.account),
            lead_company,
            contact_name,
            account_name,
            pa.array([""], type=pa.string()),
        ]
    )
    account_address = join_text("info@", account_domain)
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
