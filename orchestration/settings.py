"""Run configuration: the Settings every step and source receives, and the RA_* variables.

The run_settings resource (orchestration/defs/resources.py) shows each setting as a field
in the Launchpad; a field a run leaves unset falls back to its variable below, read when
the resource is set up for the run (never at import), then to the default.

RA_LANDING_DIR  landing files (one file or folder per contract table)
RA_WAREHOUSE    the DuckDB file
RA_EXPORT_DIR   where marts, manifest and dashboards are written
RA_AS_OF        ISO-8601 UTC instant every KPI is computed as of (default: now)
RA_SOURCE       where raw rows come from: files (default), dataverse or synapse_link
                (synapse_link reads the export folder named by RA_LANDING_DIR)

RA_LANDING_ENCODING    encoding of landing CSV files: any Python codec name (default utf-8;
                       cp1252 for files saved by Excel on Windows)
RA_ALLOW_EMPTY_TABLES  tables a run may empty (comma-separated names, or `all`); by default a
                       table that holds rows and finds none stops the run

RA_DUCKDB_MEMORY_LIMIT  DuckDB's memory cap for every step and for dbt (default 6GB)

RA_EXPORT_CSV_MAX_ROWS  a mart with more rows gets no CSV file, only Parquet and its table
                        in the BI file (default 1000000; 0: no CSV at all)

RA_RAW_PARQUET_DIR  a local folder; when set, each extract asset also writes its raw.<table>
                    as Parquet to <folder>/<table>/, the input of the dbt `spark` target.
                    Unset (default): nothing is written, a DuckDB-only run pays nothing.

Privacy (docs/privacy.md):
RA_PRIVACY_DIR              the erasure register and audit log (default: a `privacy` folder
                            beside the warehouse file)
RA_PRIVACY_EXCLUSIONS       a CSV file with a `person` column: contact, lead or systemuser
                            ids or e-mail addresses kept out of raw (default: none)
RA_ACTIVITY_RETENTION_DAYS  activities older than this many days before the as-of instant
                            are dropped from raw (default: unset, keep all)
RA_PERSONAL_MAIL_DOMAINS    comma-separated consumer mail domains: an address there that
                            matched no record is emptied in raw (default: gmail.com,
                            outlook.com, ... see privacy/policy.py; `none` for no list)
RA_PSEUDONYMISE_SELLERS     true: seller names become 'Seller <6 hex>' and their addresses
                            empty in every mart, export and dashboard (default false)
RA_EXPORT_SUBJECTS          false: activity subjects are empty in every mart, export and
                            dashboard (default true)

For RA_SOURCE=dataverse:
RA_DATAVERSE_URL            the organisation's base URL, e.g. https://contoso.crm.dynamics.com
RA_DATAVERSE_TENANT_ID      Microsoft Entra tenant of the app registration
RA_DATAVERSE_CLIENT_ID      the app registration's application (client) id
RA_DATAVERSE_CLIENT_SECRET  its client secret
RA_DATAVERSE_TOKEN          a bearer token to use instead of msal (tests, users who hold one)

Exchange Online through Microsoft Graph, next to any RA_SOURCE (orchestration/sources/exchange):
RA_EXCHANGE              graph: also read mail and meetings of the team's mailboxes; unset: off
RA_GRAPH_URL             the Graph endpoint (default https://graph.microsoft.com/v1.0)
RA_GRAPH_TENANT_ID       Entra tenant of the app registration (unset: RA_DATAVERSE_TENANT_ID)
RA_GRAPH_CLIENT_ID       the app registration's client id (unset: RA_DATAVERSE_CLIENT_ID)
RA_GRAPH_CLIENT_SECRET   its client secret (unset: RA_DATAVERSE_CLIENT_SECRET)
RA_GRAPH_TOKEN           a bearer token for Graph to use instead of msal
RA_EXCHANGE_MAILBOXES    comma-separated allow-list of mailbox addresses (unset: every active
                         systemuser's internalemailaddress)
RA_EXCHANGE_DAYS_BACK    days of mail and meetings read before the as-of date (default 730)
RA_EXCHANGE_DAYS_AHEAD   days of meetings read after it (default 90)
RA_COMPANY_DOMAINS       comma-separated mail domains of the company: an address there that
                         matches no systemuser is still the team side (unset: the domains of
                         the systemusers' internalemailaddress)

Secrets and tokens are kept out of `repr(Settings)`, so a logged Settings shows none of them.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orchestration.contract import TABLES
from orchestration.privacy.policy import DEFAULT_PERSONAL_MAIL_DOMAINS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LANDING_DIR = REPO_ROOT / "data" / "landing"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "relationship_analytics.duckdb"
DEFAULT_EXPORT_DIR = REPO_ROOT / "exports"
SOURCES = ("files", "dataverse", "synapse_link")
EXCHANGE_SOURCES = ("graph",)
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_EXCHANGE_DAYS_BACK = 730
DEFAULT_EXCHANGE_DAYS_AHEAD = 90
_DOMAIN = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
_ADDRESS = re.compile(r"[^@\s,'\"]+@[a-z0-9-]+(\.[a-z0-9-]+)+")
# DuckDB's memory cap for every step, the same value dbt's profile gets (defs/dbt.py).
DUCKDB_MEMORY_LIMIT_VARIABLE = "RA_DUCKDB_MEMORY_LIMIT"
DEFAULT_DUCKDB_MEMORY_LIMIT = "6GB"
# Marts with more rows get no CSV (publishing/export_files.csv_skip_reason): a spreadsheet
# stops at 1,048,576 rows, and writing a 45-million-row CSV costs minutes nobody uses.
CSV_MAX_ROWS_VARIABLE = "RA_EXPORT_CSV_MAX_ROWS"
DEFAULT_CSV_MAX_ROWS = 1_000_000


def parse_as_of(text: str | None, now: datetime | None = None) -> datetime:
    """Parse RA_AS_OF into a naive UTC datetime (second precision, so runs repeat exactly)."""
    if not text:
        moment = now or datetime.now(UTC)
    else:
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as error:
            raise ValueError(
                f"RA_AS_OF={text!r} is not an ISO-8601 instant, e.g. 2026-06-30T00:00:00Z"
            ) from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def format_as_of(moment: datetime) -> str:
    """The form dbt reads T in ('YYYY-MM-DD HH:MM:SS'): RA_DBT_AS_OF or the `as_of` var."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def parse_source(text: str | None) -> str:
    """RA_SOURCE, checked when settings are read so a typo fails before any extract runs."""
    source = (text or "").strip().lower() or "files"
    if source not in SOURCES:
        raise ValueError(f"RA_SOURCE={text!r} is not one of {', '.join(SOURCES)}")
    return source


def parse_exchange(text: str | None) -> str | None:
    """RA_EXCHANGE: `graph` turns the Exchange Online source on; unset or empty: off."""
    value = (text or "").strip().lower()
    if not value:
        return None
    if value not in EXCHANGE_SOURCES:
        raise ValueError(
            f"RA_EXCHANGE={text!r} is not one of {', '.join(EXCHANGE_SOURCES)} "
            "(leave it unset to read no mailboxes)"
        )
    return value


def parse_days(name: str, text: str | None, default: int) -> int:
    """A whole number of days (0 to 3650) from variable `name`; unset: `default`."""
    value = (text or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) > 3650:
        raise ValueError(f"{name}={text!r} is not a whole number of days from 0 to 3650")
    return int(value)


def parse_address_list(name: str, text: str | None, *, domains: bool = False) -> tuple[str, ...]:
    """Comma-separated mail addresses (or domains), trimmed and lower-cased, in order."""
    items: list[str] = []
    for item in (text or "").split(","):
        item = item.strip().lower().lstrip("@")
        if not item:
            continue
        shaped = _DOMAIN.fullmatch(item) if domains else _ADDRESS.fullmatch(item)
        if not shaped:
            kind = "a mail domain such as contoso.com" if domains else "a mail address"
            raise ValueError(f"{name} holds {item!r}, which is not {kind}")
        if item not in items:
            items.append(item)
    return tuple(items)


def parse_raw_parquet_dir(text: str | None) -> Path | None:
    """RA_RAW_PARQUET_DIR as a local folder, or None when unset (no Parquet mirror)."""
    text = (text or "").strip()
    if not text:
        return None
    if "://" in text:
        # Path() would turn s3a://bucket into a local folder named "s3a:" without a word.
        raise ValueError(
            f"RA_RAW_PARQUET_DIR={text!r} is a URI; the extract step writes a local folder. "
            "Copy that folder to the cluster and give the cluster's dbt run the URI."
        )
    return Path(text).resolve()


def parse_csv_max_rows(text: str | None) -> int:
    """RA_EXPORT_CSV_MAX_ROWS as a whole number of rows >= 0 (unset: 1,000,000).

    Digits with optional `_` or `,` separators (`1_000_000`, `1,000,000`); anything else, a
    negative number included, raises ValueError naming the variable.
    """
    cleaned = (text or "").strip().replace("_", "").replace(",", "")
    if not cleaned:
        return DEFAULT_CSV_MAX_ROWS
    if not cleaned.isdigit():
        raise ValueError(
            f"{CSV_MAX_ROWS_VARIABLE}={text!r} is not a whole number of rows >= 0, e.g. "
            f"1000000 (marts with more rows are exported as Parquet only; 0: no CSV at all)"
        )
    return int(cleaned)


def parse_landing_encoding(text: str | None) -> str:
    """RA_LANDING_ENCODING as a Python codec name (default utf-8), checked when read."""
    name = (text or "").strip() or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError as error:
        raise ValueError(
            f"RA_LANDING_ENCODING={text!r} is not an encoding Python knows; "
            "use e.g. utf-8, cp1252 or latin-1"
        ) from error
    return name


def parse_allow_empty_tables(text: str | None) -> frozenset[str]:
    """RA_ALLOW_EMPTY_TABLES as contract table names, or {"all"}; unknown names fail."""
    names = frozenset(name.strip().lower() for name in (text or "").split(",") if name.strip())
    if "all" in names:
        return frozenset({"all"})
    unknown = sorted(names - set(TABLES))
    if unknown:
        raise ValueError(
            f"RA_ALLOW_EMPTY_TABLES names unknown table(s) {', '.join(unknown)}; "
            f"use contract table names ({', '.join(TABLES)}) or all"
        )
    return names


def parse_retention_days(text: str | None) -> int | None:
    """RA_ACTIVITY_RETENTION_DAYS as a positive whole number of days, or None (keep all)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days < 1:
        raise ValueError(
            f"RA_ACTIVITY_RETENTION_DAYS={text!r} is not a whole number of days of at least 1, "
            "e.g. 730; unset it to keep every activity"
        )
    return days


def parse_flag(variable: str, text: str | None, default: bool) -> bool:
    """A true/false setting (true, false, 1, 0, yes, no; case-insensitive)."""
    value = (text or "").strip().lower()
    if not value:
        return default
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError(f"{variable}={text!r} is not true or false")


def parse_mail_domains(text: str | None) -> frozenset[str]:
    """RA_PERSONAL_MAIL_DOMAINS: unset -> the default list, `none` -> no list."""
    text = (text or "").strip().lower()
    if not text:
        return DEFAULT_PERSONAL_MAIL_DOMAINS
    if text == "none":
        return frozenset()
    domains = frozenset(d.strip().lstrip("@") for d in text.split(",") if d.strip())
    bad = sorted(d for d in domains if "." not in d or "@" in d or " " in d)
    if bad:
        raise ValueError(
            f"RA_PERSONAL_MAIL_DOMAINS names {', '.join(bad)}, not a mail domain: give "
            "domains such as gmail.com,outlook.com separated by commas, or none"
        )
    return domains


def parse_optional_path(text: str | None) -> Path | None:
    """A path setting that may be unset."""
    text = (text or "").strip()
    return Path(text).resolve() if text else None


def _text(value: str | None) -> str | None:
    # A value pasted with a trailing newline would otherwise break an HTTP header.
    value = (value or "").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    export_dir: Path
    as_of: datetime
    source: str = "files"
    raw_parquet_dir: Path | None = None
    landing_encoding: str = "utf-8"
    allow_empty_tables: frozenset[str] = frozenset()
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    export_csv_max_rows: int = DEFAULT_CSV_MAX_ROWS
    privacy_dir: Path | None = None  # None: `privacy/` beside the warehouse (privacy_folder)
    privacy_exclusions: Path | None = None
    activity_retention_days: int | None = None
    export_subjects: bool = True
    pseudonymise_sellers: bool = False
    personal_mail_domains: frozenset[str] = DEFAULT_PERSONAL_MAIL_DOMAINS
    dataverse_url: str | None = None
    dataverse_tenant_id: str | None = None
    dataverse_client_id: str | None = None
    dataverse_client_secret: str | None = field(default=None, repr=False)
    dataverse_token: str | None = field(default=None, repr=False)
    exchange: str | None = None
    graph_url: str = DEFAULT_GRAPH_URL
    graph_tenant_id: str | None = None
    graph_client_id: str | None = None
    graph_client_secret: str | None = field(default=None, repr=False)
    graph_token: str | None = field(default=None, repr=False)
    exchange_mailboxes: tuple[str, ...] = ()
    exchange_days_back: int = DEFAULT_EXCHANGE_DAYS_BACK
    exchange_days_ahead: int = DEFAULT_EXCHANGE_DAYS_AHEAD
    company_domains: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from RA_* variables (`environ`, default os.environ); ValueError names
        the variable and what it accepts. The memory cap is checked by DuckDB itself at run
        start (defs/resources.check_memory_limit)."""
        env = os.environ if environ is None else environ
        return cls(
            landing_dir=Path(env.get("RA_LANDING_DIR") or DEFAULT_LANDING_DIR).resolve(),
            warehouse=Path(env.get("RA_WAREHOUSE") or DEFAULT_WAREHOUSE).resolve(),
            export_dir=Path(env.get("RA_EXPORT_DIR") or DEFAULT_EXPORT_DIR).resolve(),
            as_of=parse_as_of(env.get("RA_AS_OF")),
            source=parse_source(env.get("RA_SOURCE")),
            raw_parquet_dir=parse_raw_parquet_dir(env.get("RA_RAW_PARQUET_DIR")),
            landing_encoding=parse_landing_encoding(env.get("RA_LANDING_ENCODING")),
            allow_empty_tables=parse_allow_empty_tables(env.get("RA_ALLOW_EMPTY_TABLES")),
            duckdb_memory_limit=_text(env.get(DUCKDB_MEMORY_LIMIT_VARIABLE))
            or DEFAULT_DUCKDB_MEMORY_LIMIT,
            export_csv_max_rows=parse_csv_max_rows(env.get(CSV_MAX_ROWS_VARIABLE)),
            privacy_dir=parse_optional_path(env.get("RA_PRIVACY_DIR")),
            privacy_exclusions=parse_optional_path(env.get("RA_PRIVACY_EXCLUSIONS")),
            activity_retention_days=parse_retention_days(env.get("RA_ACTIVITY_RETENTION_DAYS")),
            personal_mail_domains=parse_mail_domains(env.get("RA_PERSONAL_MAIL_DOMAINS")),
            pseudonymise_sellers=parse_flag(
                "RA_PSEUDONYMISE_SELLERS", env.get("RA_PSEUDONYMISE_SELLERS"), False
            ),
            export_subjects=parse_flag("RA_EXPORT_SUBJECTS", env.get("RA_EXPORT_SUBJECTS"), True),
            dataverse_url=_text(env.get("RA_DATAVERSE_URL")),
            dataverse_tenant_id=_text(env.get("RA_DATAVERSE_TENANT_ID")),
            dataverse_client_id=_text(env.get("RA_DATAVERSE_CLIENT_ID")),
            dataverse_client_secret=_text(env.get("RA_DATAVERSE_CLIENT_SECRET")),
            dataverse_token=_text(env.get("RA_DATAVERSE_TOKEN")),
            exchange=parse_exchange(env.get("RA_EXCHANGE")),
            graph_url=_text(env.get("RA_GRAPH_URL")) or DEFAULT_GRAPH_URL,
            graph_tenant_id=_text(env.get("RA_GRAPH_TENANT_ID"))
            or _text(env.get("RA_DATAVERSE_TENANT_ID")),
            graph_client_id=_text(env.get("RA_GRAPH_CLIENT_ID"))
            or _text(env.get("RA_DATAVERSE_CLIENT_ID")),
            graph_client_secret=_text(env.get("RA_GRAPH_CLIENT_SECRET"))
            or _text(env.get("RA_DATAVERSE_CLIENT_SECRET")),
            graph_token=_text(env.get("RA_GRAPH_TOKEN")),
            exchange_mailboxes=parse_address_list(
                "RA_EXCHANGE_MAILBOXES", env.get("RA_EXCHANGE_MAILBOXES")
            ),
            exchange_days_back=parse_days(
                "RA_EXCHANGE_DAYS_BACK",
                env.get("RA_EXCHANGE_DAYS_BACK"),
                DEFAULT_EXCHANGE_DAYS_BACK,
            ),
            exchange_days_ahead=parse_days(
                "RA_EXCHANGE_DAYS_AHEAD",
                env.get("RA_EXCHANGE_DAYS_AHEAD"),
                DEFAULT_EXCHANGE_DAYS_AHEAD,
            ),
            company_domains=parse_address_list(
                "RA_COMPANY_DOMAINS", env.get("RA_COMPANY_DOMAINS"), domains=True
            ),
        )

    @property
    def privacy_folder(self) -> Path:
        """The erasure register's folder: RA_PRIVACY_DIR, else `privacy/` beside the warehouse."""
        return self.privacy_dir or self.warehouse.parent / "privacy"

    def allows_empty(self, table: str) -> bool:
        """Whether RA_ALLOW_EMPTY_TABLES lets a run empty `table` (see load_raw_table)."""
        return "all" in self.allow_empty_tables or table in self.allow_empty_tables
