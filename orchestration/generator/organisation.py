"""The numeric model of the organisation and its customers: users in business units,
accounts, and the contacts of each account (every account has at least one).

Integer codes, indexes and epoch seconds in numpy arrays; -1 for "none". Drawn from the
entity generator (`rng` of entities.py) in a fixed order: users, accounts, contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import vocabulary as vocab
from .sampling import (
    DAY,
    HISTORY_DAYS,
    HOUR,
    Groups,
    dates_between,
    lognormal_int,
    weighted_choice,
)

if TYPE_CHECKING:
    from .entities import Sizes


@dataclass
class Users:
    business_unit: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    is_disabled: np.ndarray
    modifiedon: np.ndarray
    enabled: np.ndarray  # indexes of enabled users
    enabled_by_unit: Groups

    def random_enabled(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.enabled[rng.integers(0, self.enabled.size, size)]

    def colleague(self, rng: np.random.Generator, user: np.ndarray) -> np.ndarray:
        """Another enabled user of the same business unit (the user only if alone)."""
        picked = self.enabled_by_unit.pick(
            self.business_unit[user], rng.random(user.size), avoid=user
        )
        fallback = self.random_enabled(rng, user.size)
        return np.where(picked >= 0, picked, fallback)


@dataclass
class Accounts:
    name_words: np.ndarray  # (n, 3) indexes into COMPANY_WORDS_1, _2, COMPANY_SUFFIXES
    owner: np.ndarray
    industrycode: np.ndarray
    numberofemployees: np.ndarray
    revenue: np.ndarray
    statecode: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray
    primary_contact: np.ndarray
    contacts: Groups  # contacts by account


@dataclass
class Contacts:
    account: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    job_title: np.ndarray
    owner: np.ndarray
    statecode: np.ndarray
    createdon: np.ndarray
    modifiedon: np.ndarray


def company_words(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 3) indexes into COMPANY_WORDS_1, COMPANY_WORDS_2 and COMPANY_SUFFIXES."""
    return np.stack(
        [
            rng.integers(0, len(vocab.COMPANY_WORDS_1), n),
            rng.integers(0, len(vocab.COMPANY_WORDS_2), n),
            rng.integers(0, len(vocab.COMPANY_SUFFIXES), n),
        ],
        axis=1,
    )


def build_users(rng: np.random.Generator, sizes: Sizes, start: int) -> Users:
    """Users spread over the business units; about 4% disabled, never a unit's first."""
    n = sizes.users
    unit = rng.permutation(np.arange(n) % sizes.business_units)
    disabled = rng.random(n) < 0.04
    disabled[: sizes.business_units] = False  # every unit keeps at least one active seller
    enabled = np.flatnonzero(~disabled)
    return Users(
        business_unit=unit,
        first_name=rng.integers(0, len(vocab.FIRST_NAMES), n),
        last_name=rng.integers(0, len(vocab.LAST_NAMES), n),
        is_disabled=disabled,
        modifiedon=start - rng.integers(DAY, 400 * DAY, n),
        enabled=enabled,
        enabled_by_unit=Groups.from_labels(np.where(disabled, -1, unit), sizes.business_units),
    )


def _build_accounts(
    rng: np.random.Generator, sizes: Sizes, users: Users, start: int, end: int
) -> dict[str, np.ndarray]:
    """The fields of `Accounts` that do not depend on contacts, by field name."""
    n = sizes.accounts
    established = rng.random(n) < 0.8
    createdon = np.where(
        established,
        start - rng.integers(DAY, 400 * DAY, n),
        end - rng.integers(60 * DAY, (HISTORY_DAYS - 30) * DAY, n),
    )
    employees = np.clip(lognormal_int(rng, 180, 1.3, n), 2, 400_000)
    revenue = np.round(employees * rng.lognormal(np.log(120_000), 0.5, n), -3)
    industry_weights = 1.0 / np.arange(1, 21) ** 0.7
    industry = 1 + weighted_choice(rng, industry_weights, n)
    return dict(
        name_words=company_words(rng, n),
        owner=users.random_enabled(rng, n),
        industrycode=industry,
        numberofemployees=employees,
        revenue=revenue.astype(np.float64),
        statecode=(rng.random(n) < 0.03).astype(np.int64),
        createdon=createdon,
        modifiedon=dates_between(rng, createdon, np.full(n, end - HOUR)),
    )


def build_accounts_and_contacts(
    rng: np.random.Generator, sizes: Sizes, users: Users, start: int, end: int
) -> tuple[Accounts, Contacts, np.ndarray]:
    """Accounts, their contacts, and each account's size weight (employees ** 0.35), which
    also spreads leads and opportunities over accounts."""
    acc = _build_accounts(rng, sizes, users, start, end)
    n_acc, n_con = sizes.accounts, sizes.contacts
    size_weight = acc["numberofemployees"].astype(np.float64) ** 0.35
    contact_account = np.empty(n_con, dtype=np.int64)
    contact_account[:n_acc] = rng.permutation(n_acc)
    contact_account[n_acc:] = weighted_choice(rng, size_weight, n_con - n_acc)
    orphan = (np.arange(n_con) >= n_acc) & (rng.random(n_con) < 0.03)
    contact_account[orphan] = -1
    contacts_by_account = Groups.from_labels(contact_account, n_acc)
    primary = contacts_by_account.pick(np.arange(n_acc), rng.random(n_acc))
    has_account = contact_account >= 0
    acc_of = np.where(has_account, contact_account, 0)
    contact_created = np.where(
        has_account,
        acc["createdon"][acc_of] + rng.integers(0, 2 * DAY, n_con),
        end - rng.integers(30 * DAY, (HISTORY_DAYS + 300) * DAY, n_con),
    )
    contact_state = (rng.random(n_con) < 0.04).astype(np.int64)
    contact_state[primary] = 0
    contacts = Contacts(
        account=contact_account,
        first_name=rng.integers(0, len(vocab.FIRST_NAMES), n_con),
        last_name=rng.integers(0, len(vocab.LAST_NAMES), n_con),
        job_title=rng.integers(0, len(vocab.JOB_TITLES), n_con),
        owner=np.where(
            has_account & (rng.random(n_con) < 0.8),
            acc["owner"][acc_of],
            users.random_enabled(rng, n_con),
        ),
        statecode=contact_state,
        createdon=contact_created,
        modifiedon=dates_between(rng, contact_created, np.full(n_con, end - HOUR)),
    )
    accounts = Accounts(primary_contact=primary, contacts=contacts_by_account, **acc)
    return accounts, contacts, size_weight
