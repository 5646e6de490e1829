"""The input contract of KPI_SPEC section 1, as data.

One place names every landing table, its primary key and the DuckDB type of each required
column. The generator writes to it, the loaders validate against it, and the dbt sources
mirror it, so a column rename is a one-line change here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Logical types used by the contract. Timestamps are naive UTC in the warehouse.
VARCHAR = "varchar"
BOOLEAN = "boolean"
INTEGER = "integer"
DOUBLE = "double"
TIMESTAMP = "timestamp"
DATE = "date"


@dataclass(frozen=True)
class TableContract:
    name: str
    primary_key: str
    columns: dict[str, str]

    @property
    def has_modifiedon(self) -> bool:
        """Tables with `modifiedon` are upserted newest-wins; others are keyed snapshots."""
        return "modifiedon" in self.columns


def _table(table_name: str, primary_key: str, /, **columns: str) -> TableContract:
    # Positional-only, because `name` is also a column of account and connectionrole.
    return TableContract(name=table_name, primary_key=primary_key, columns=dict(columns))


_ACTIVITY_COMMON = {
    "subject": VARCHAR,
    "regardingobjectid": VARCHAR,
    "regardingobjecttypecode": VARCHAR,
    "ownerid": VARCHAR,
    "createdon": TIMESTAMP,
    "modifiedon": TIMESTAMP,
}

# One table per block, its columns wrapped like the KPI_SPEC table: kept by hand.
# fmt: off
TABLES: dict[str, TableContract] = {
    t.name: t
    for t in [
        _table(
            "systemuser", "systemuserid",
            systemuserid=VARCHAR, fullname=VARCHAR, internalemailaddress=VARCHAR,
            businessunitid=VARCHAR, isdisabled=BOOLEAN, modifiedon=TIMESTAMP,
        ),
        _table(
            "account", "accountid",
            accountid=VARCHAR, name=VARCHAR, primarycontactid=VARCHAR, industrycode=INTEGER,
            numberofemployees=INTEGER, revenue=DOUBLE, ownerid=VARCHAR, statecode=INTEGER,
            createdon=TIMESTAMP, modifiedon=TIMESTAMP,
        ),
        _table(
            "contact", "contactid",
            contactid=VARCHAR, fullname=VARCHAR, emailaddress1=VARCHAR, parentcustomerid=VARCHAR,
            jobtitle=VARCHAR, ownerid=VARCHAR, statecode=INTEGER, createdon=TIMESTAMP,
            modifiedon=TIMESTAMP,
        ),
        _table(
            "lead", "leadid",
            leadid=VARCHAR, fullname=VARCHAR, companyname=VARCHAR, emailaddress1=VARCHAR,
            parentaccountid=VARCHAR, parentcontactid=VARCHAR, ownerid=VARCHAR,
            statecode=INTEGER, createdon=TIMESTAMP, modifiedon=TIMESTAMP,
        ),
        _table(
            "opportunity", "opportunityid",
            opportunityid=VARCHAR, name=VARCHAR, parentaccountid=VARCHAR,
            parentcontactid=VARCHAR, ownerid=VARCHAR, estimatedvalue=DOUBLE,
            actualvalue=DOUBLE, estimatedclosedate=DATE, actualclosedate=DATE,
            statecode=INTEGER, createdon=TIMESTAMP, modifiedon=TIMESTAMP,
        ),
        _table(
            "connectionrole", "connectionroleid",
            connectionroleid=VARCHAR, name=VARCHAR, category=INTEGER,
        ),
        _table(
            "connection", "connectionid",
            connectionid=VARCHAR, record1id=VARCHAR, record1objecttypecode=VARCHAR,
            record2id=VARCHAR, record2objecttypecode=VARCHAR, record2roleid=VARCHAR,
            statecode=INTEGER, modifiedon=TIMESTAMP,
        ),
        _table(
            "email", "activityid",
            activityid=VARCHAR, directioncode=BOOLEAN, senton=TIMESTAMP,
            statecode=INTEGER, statuscode=INTEGER, messageid=VARCHAR, inreplyto=VARCHAR,
            conversationindex=VARCHAR, isemailfollowed=BOOLEAN, opencount=INTEGER,
            replycount=INTEGER, linksclickedcount=INTEGER, attachmentopencount=INTEGER,
            lastopenedtime=TIMESTAMP, **_ACTIVITY_COMMON,
        ),
        _table(
            "appointment", "activityid",
            activityid=VARCHAR, scheduledstart=TIMESTAMP, scheduledend=TIMESTAMP,
            scheduleddurationminutes=INTEGER, actualstart=TIMESTAMP, actualend=TIMESTAMP,
            actualdurationminutes=INTEGER, statecode=INTEGER, **_ACTIVITY_COMMON,
        ),
        _table(
            "phonecall", "activityid",
            activityid=VARCHAR, directioncode=BOOLEAN, scheduledstart=TIMESTAMP,
            actualstart=TIMESTAMP, actualend=TIMESTAMP, actualdurationminutes=INTEGER,
            statecode=INTEGER, **_ACTIVITY_COMMON,
        ),
        _table(
            "activityparty", "activitypartyid",
            activitypartyid=VARCHAR, activityid=VARCHAR, partyid=VARCHAR,
            partyobjecttypecode=VARCHAR, participationtypemask=INTEGER, addressused=VARCHAR,
        ),
    ]
}
# fmt: on

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
