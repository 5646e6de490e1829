"""Who takes part in an activity: the seller, the customer-side person and the extra
people (colleagues, other contacts of the account, outsiders), drawn for many activities
of the given contexts at once."""

from __future__ import annotations

import numpy as np

from .contexts import ACCOUNT, CONTACT, LEAD, NONE, OPPORTUNITY, Contexts
from .entities import Entities
from .parties import P_ACCOUNT, P_CONTACT, P_LEAD, UNRESOLVED


class People:
    """Who takes part in an activity of a context, drawn for many activities at once."""

    def __init__(self, ent: Entities, ctx: Contexts):
        self.ent = ent
        self.ctx = ctx

    def team(self, rng: np.random.Generator, c: np.ndarray) -> np.ndarray:
        """The seller: the record owner (always for leads), a sales-team member on some
        deals, anyone for contacts and accounts now and then."""
        ctx, users = self.ctx, self.ent.users
        kind, entity, owner = ctx.kind[c], ctx.entity[c], ctx.owner[c]
        u = rng.random(c.size)
        out = owner.copy()
        opp = (kind == OPPORTUNITY) & (u < 0.35)
        member = self.ent.connections.opportunity_sales_team.pick(
            np.where(opp, entity, -1), rng.random(c.size)
        )
        out = np.where(opp & (member >= 0), member, out)
        anyone = (kind == NONE) | ((kind == CONTACT) & (u < 0.5)) | ((kind == ACCOUNT) & (u < 0.4))
        out = np.where(anyone | (out < 0), users.random_enabled(rng, c.size), out)
        return out

    def customer(self, rng: np.random.Generator, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The customer-side person (party type, index) an activity of the context is with."""
        ent, ctx = self.ent, self.ctx
        kind, entity = ctx.kind[c], ctx.entity[c]
        n = c.size
        u = rng.random(n)
        v = rng.random(n)
        ptype = np.full(n, P_CONTACT, dtype=np.int8)
        pidx = np.full(n, -1, dtype=np.int64)

        is_opp = kind == OPPORTUNITY
        opp_i = np.where(is_opp, entity, 0)
        opp_contact = ent.opportunities.contact[opp_i]
        stakeholder = ent.connections.opportunity_stakeholders.pick(
            np.where(is_opp & (u >= 0.5) & (u < 0.85), entity, -1), v
        )
        primary = ent.accounts.primary_contact[ent.opportunities.account[opp_i]]
        opp_pick = np.where(u < 0.5, opp_contact, np.where(u < 0.85, stakeholder, primary))
        opp_pick = np.where(opp_pick >= 0, opp_pick, opp_contact)
        pidx = np.where(is_opp, opp_pick, pidx)

        is_lead = kind == LEAD
        lead_i = np.where(is_lead, entity, 0)
        lead_contact = ent.leads.contact[lead_i]
        lead_stake = ent.connections.lead_stakeholders.pick(
            np.where(is_lead & (u >= 0.9), entity, -1), v
        )
        lead_person = np.where(u < 0.7, -1, np.where(u < 0.9, lead_contact, lead_stake))
        as_lead = is_lead & (lead_person < 0)
        ptype = np.where(as_lead, P_LEAD, ptype).astype(np.int8)
        pidx = np.where(as_lead, entity, np.where(is_lead, lead_person, pidx))

        is_contact = kind == CONTACT
        pidx = np.where(is_contact, entity, pidx)

        is_account = kind == ACCOUNT
        acc_i = np.where(is_account, entity, 0)
        member = ent.accounts.contacts.pick(np.where(is_account, entity, -1), v)
        acc_pick = np.where(u < 0.5, ent.accounts.primary_contact[acc_i], member)
        account_party = is_account & (u >= 0.95)
        ptype = np.where(account_party, P_ACCOUNT, ptype).astype(np.int8)
        pidx = np.where(account_party, entity, np.where(is_account, acc_pick, pidx))

        is_none = kind == NONE
        active = np.flatnonzero(ent.contacts.statecode == 0)
        random_contact = active[rng.integers(0, active.size, n)]
        external = is_none & (u >= 0.85)
        ptype = np.where(external, UNRESOLVED, ptype).astype(np.int8)
        pidx = np.where(is_none, np.where(external, -1, random_contact), pidx)
        return ptype, pidx

    def extra_customer(
        self,
        rng: np.random.Generator,
        c: np.ndarray,
        avoid: np.ndarray,
        external_share: float = 0.06,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Another customer-side person: a contact of the related account, or an outsider."""
        account = self.ctx.account[c]
        member = self.ent.accounts.contacts.pick(account, rng.random(c.size), avoid=avoid)
        external = (member < 0) | (rng.random(c.size) < external_share)
        ptype = np.where(external, UNRESOLVED, P_CONTACT).astype(np.int8)
        return ptype, np.where(external, -1, member)

    def extra_team(self, rng: np.random.Generator, c: np.ndarray, user: np.ndarray) -> np.ndarray:
        """A colleague: a sales-team member of the deal, else someone of the same unit."""
        ctx = self.ctx
        member = self.ent.connections.opportunity_sales_team.pick(
            np.where(ctx.kind[c] == OPPORTUNITY, ctx.entity[c], -1), rng.random(c.size), user
        )
        member = np.where(member == user, -1, member)
        colleague = self.ent.users.colleague(rng, user)
        return np.where(member >= 0, member, colleague)
