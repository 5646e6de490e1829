"""The entity tables (systemuser, account, contact, lead, opportunity, connectionrole,
connection) in the contract's columns, built whole: they are small next to activities.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import vocabulary as vocab
from .arrow_arrays import booleans, dates, integers, join_text, take_or_null, timestamps, word_array
from .connections import RECORD_CONTACT, RECORD_OPPORTUNITY
from .entities import Entities
from .ids import guid_array
from .spelling import Spelled

ENGAGEMENT_COLUMN = "generator_engagement_profile"


def entity_tables(ent: Entities, s: Spelled, seed: int) -> dict[str, pa.Table]:
    """Table name -> Arrow table of every entity table, in generation order; columns as
    the contract names them, plus ENGAGEMENT_COLUMN on opportunity."""
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
            "businessunitid": take_or_null(s.unit_id, users.business_unit),
            "isdisabled": booleans(users.is_disabled),
            "modifiedon": timestamps(users.modifiedon),
        }
    )
    out["account"] = pa.table(
        {
            "accountid": s.account_id,
            "name": s.account_name,
            "primarycontactid": take_or_null(s.contact_id, acc.primary_contact),
            "industrycode": integers(acc.industrycode),
            "numberofemployees": integers(acc.numberofemployees),
            "revenue": pa.array(acc.revenue, type=pa.float64()),
            "ownerid": take_or_null(s.user_id, acc.owner),
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
            "parentcustomerid": take_or_null(s.account_id, con.account),
            "jobtitle": take_or_null(word_array(vocab.JOB_TITLES), con.job_title),
            "ownerid": take_or_null(s.user_id, con.owner),
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
            "parentaccountid": take_or_null(s.account_id, lead.account),
            "parentcontactid": take_or_null(s.contact_id, lead.contact),
            "ownerid": take_or_null(s.user_id, lead.owner),
            "statecode": integers(lead.statecode),
            "createdon": timestamps(lead.createdon),
            "modifiedon": timestamps(lead.modifiedon),
        }
    )
    actual = opp.actualvalue
    out["opportunity"] = pa.table(
        {
            "opportunityid": s.opportunity_id,
            "name": join_text(
                take_or_null(s.account_name, opp.account),
                " - ",
                take_or_null(word_array(vocab.PRODUCTS), opp.product),
            ),
            "parentaccountid": take_or_null(s.account_id, opp.account),
            "parentcontactid": take_or_null(s.contact_id, opp.contact),
            "ownerid": take_or_null(s.user_id, opp.owner),
            "estimatedvalue": pa.array(opp.estimatedvalue, type=pa.float64()),
            "actualvalue": pa.array(
                np.nan_to_num(actual), type=pa.float64(), mask=np.isnan(actual)
            ),
            "estimatedclosedate": dates(opp.estimatedclosedate),
            "actualclosedate": dates(opp.actualclosedate),
            "statecode": integers(opp.statecode),
            "createdon": timestamps(opp.createdon),
            "modifiedon": timestamps(opp.modifiedon),
            ENGAGEMENT_COLUMN: take_or_null(
                word_array(("lost_like", "won_like")), opp.won_like.astype(int)
            ),
        }
    )
    out["connectionrole"] = pa.table(
        {
            "connectionroleid": s.role_id,
            "name": word_array(name for name, _ in vocab.CONNECTION_ROLES),
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
                take_or_null(s.opportunity_id, np.where(is_opp, conn.record1, 0)),
                take_or_null(s.lead_id, np.where(is_opp, 0, conn.record1)),
            ),
            "record1objecttypecode": take_or_null(
                word_array(("opportunity", "lead")), (~is_opp).astype(int)
            ),
            "record2id": pc.if_else(
                pa.array(is_contact),
                take_or_null(s.contact_id, np.where(is_contact, conn.record2, 0)),
                take_or_null(s.user_id, np.where(is_contact, 0, conn.record2)),
            ),
            "record2objecttypecode": take_or_null(
                word_array(("contact", "systemuser")), (~is_contact).astype(int)
            ),
            "record2roleid": take_or_null(s.role_id, conn.role),
            "statecode": integers(conn.statecode),
            "modifiedon": timestamps(conn.modifiedon),
        }
    )
    return out
