"""Resources shared by the asset modules: run settings and the DuckDB warehouse.

Run settings are fields of RunSettingsResource (the Launchpad shows them); a field a run
leaves unset is read from its RA_* variable when the resource is set up, so tests and
`make run` can point the same definitions at another landing folder, warehouse or as-of
instant.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field, PrivateAttr

from orchestration.dashboards.options import dashboard_options
from orchestration.privacy.policy import read_exclusions
from orchestration.settings import (
    CSV_MAX_ROWS_VARIABLE,
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    DUCKDB_MEMORY_LIMIT_VARIABLE,
    Settings,
)

# Every asset that writes the DuckDB file, and the exports that read it, run in this pool
# (limit 1, see dagster.yaml): a reader in another process would meet the writer's lock.
WAREHOUSE_POOL = "duckdb"

# The step that publishes marts and dashboards (defs/exports.py); its run config holds the
# dashboards' options, checked with every other setting when a run starts.
EXPORTS_OP_NAME = "exports"


def exports_run_config(run_config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The exports step's config in a run config ({} when the run sets none)."""
    ops = (run_config or {}).get("ops") or {}
    return (ops.get(EXPORTS_OP_NAME) or {}).get("config") or {}


def check_memory_limit(environ: Mapping[str, str] | None = None) -> str:
    """RA_DUCKDB_MEMORY_LIMIT as DuckDB reads it (e.g. '6GB', '512MiB'); ValueError if not."""
    env = os.environ if environ is None else environ
    limit = (env.get(DUCKDB_MEMORY_LIMIT_VARIABLE) or DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    with duckdb.connect() as probe:
        try:
            probe.execute(f"set memory_limit = '{limit.replace(chr(39), chr(39) * 2)}'")
        except duckdb.Error as error:
            raise ValueError(
                f"{DUCKDB_MEMORY_LIMIT_VARIABLE}={limit!r} is not a memory size DuckDB "
                f"accepts, e.g. 6GB or 512MiB ({error})"
            ) from error
    return limit


def check_run_settings(
    run_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Every setting of a run, checked before any step writes anything.

    RA_* variables (Settings.from_env, RA_EXPORT_CSV_MAX_ROWS among them;
    RA_DUCKDB_MEMORY_LIMIT, the RA_PRIVACY_EXCLUSIONS file, RA_DASHBOARD_TOP_N,
    RA_DASHBOARD_BUSINESS_UNITS) and the exports step's run config. Raises ValueError
    naming the variable or field and what it accepts.
    Business-unit names are checked against the warehouse by the exports step itself,
    before it writes a file.
    """
    settings = Settings.from_env(environ)
    check_memory_limit(environ)
    if settings.privacy_exclusions is not None:
        read_exclusions(settings.privacy_exclusions)
    config = exports_run_config(run_config)
    dashboard_options(config.get("top_n"), config.get("business_units"), environ)
    return settings


# Each field of RunSettingsResource and the variable it falls back to when a run leaves it
# unset (orchestration/settings.py documents the variables).
FIELD_VARIABLES = {
    "landing_dir": "RA_LANDING_DIR",
    "warehouse": "RA_WAREHOUSE",
    "export_dir": "RA_EXPORT_DIR",
    "as_of": "RA_AS_OF",
    "source": "RA_SOURCE",
    "landing_encoding": "RA_LANDING_ENCODING",
    "allow_empty_tables": "RA_ALLOW_EMPTY_TABLES",
    "raw_parquet_dir": "RA_RAW_PARQUET_DIR",
    "duckdb_memory_limit": DUCKDB_MEMORY_LIMIT_VARIABLE,
    "export_csv_max_rows": CSV_MAX_ROWS_VARIABLE,
    "privacy_dir": "RA_PRIVACY_DIR",
    "privacy_exclusions": "RA_PRIVACY_EXCLUSIONS",
    "activity_retention_days": "RA_ACTIVITY_RETENTION_DAYS",
    "export_subjects": "RA_EXPORT_SUBJECTS",
    "pseudonymise_sellers": "RA_PSEUDONYMISE_SELLERS",
    "personal_mail_domains": "RA_PERSONAL_MAIL_DOMAINS",
    "dataverse_url": "RA_DATAVERSE_URL",
    "dataverse_tenant_id": "RA_DATAVERSE_TENANT_ID",
    "dataverse_client_id": "RA_DATAVERSE_CLIENT_ID",
    "dataverse_client_secret": "RA_DATAVERSE_CLIENT_SECRET",
    "dataverse_token": "RA_DATAVERSE_TOKEN",
    "exchange": "RA_EXCHANGE",
    "graph_url": "RA_GRAPH_URL",
    "graph_tenant_id": "RA_GRAPH_TENANT_ID",
    "graph_client_id": "RA_GRAPH_CLIENT_ID",
    "graph_client_secret": "RA_GRAPH_CLIENT_SECRET",
    "graph_token": "RA_GRAPH_TOKEN",
    "exchange_mailboxes": "RA_EXCHANGE_MAILBOXES",
    "exchange_days_back": "RA_EXCHANGE_DAYS_BACK",
    "exchange_days_ahead": "RA_EXCHANGE_DAYS_AHEAD",
    "company_domains": "RA_COMPANY_DOMAINS",
}

_SECRET_HINT = (
    " Give it as {env: NAME} (dg.EnvVar), never as text: run config is stored with the run."
)


class RunSettingsResource(dg.ConfigurableResource):
    """Where data comes from and goes to, and the as-of instant: one run's settings.

    The Launchpad shows every field under resources.run_settings.config, so a run can
    override any of them. A field left unset falls back to its RA_* variable
    (FIELD_VARIABLES), read when the resource is set up for the run, then to the default
    of orchestration/settings.py: `make run` and `make dev` keep working from the
    environment. Secrets are given as `{env: NAME}` (`dg.EnvVar` in Python), so their
    values never enter the run's stored config. Everything is checked before the first
    step writes (check_run_settings).
    """

    landing_dir: str | None = Field(
        default=None,
        description="Landing files, one file or folder per contract table "
        "(unset: RA_LANDING_DIR, else data/landing).",
    )
    warehouse: str | None = Field(
        default=None,
        description="The DuckDB file (unset: RA_WAREHOUSE, else "
        "warehouse/relationship_analytics.duckdb).",
    )
    export_dir: str | None = Field(
        default=None,
        description="Where marts, manifest and dashboards are published "
        "(unset: RA_EXPORT_DIR, else exports).",
    )
    as_of: str | None = Field(
        default=None,
        description="ISO-8601 UTC instant every KPI is computed as of, e.g. "
        "2026-06-30T00:00:00Z (unset: RA_AS_OF, else the run's start).",
    )
    source: str | None = Field(
        default=None,
        description="Where raw rows come from: files, dataverse or synapse_link "
        "(unset: RA_SOURCE, else files).",
    )
    landing_encoding: str | None = Field(
        default=None,
        description="Encoding of landing CSV files, a Python codec name such as cp1252 "
        "(unset: RA_LANDING_ENCODING, else utf-8).",
    )
    allow_empty_tables: str | None = Field(
        default=None,
        description="Tables this run may empty: comma-separated contract table names, or "
        "all (unset: RA_ALLOW_EMPTY_TABLES, else none).",
    )
    raw_parquet_dir: str | None = Field(
        default=None,
        description="A local folder that also gets raw.<table> as Parquet, the input of "
        "the dbt spark target (unset: RA_RAW_PARQUET_DIR, else none).",
    )
    duckdb_memory_limit: str | None = Field(
        default=None,
        description="DuckDB's memory cap for every step and for dbt, e.g. 6GB or 512MiB "
        "(unset: RA_DUCKDB_MEMORY_LIMIT, else 6GB).",
    )
    export_csv_max_rows: int | None = Field(
        default=None,
        description="Marts with more rows get no CSV file, only Parquet and the BI file; "
        "manifest.json says why (unset: RA_EXPORT_CSV_MAX_ROWS, else 1000000; 0: no CSV).",
    )
    privacy_dir: str | None = Field(
        default=None,
        description="Folder of the erasure register and audit log (unset: RA_PRIVACY_DIR, "
        "else privacy/ beside the warehouse).",
    )
    privacy_exclusions: str | None = Field(
        default=None,
        description="CSV file with a 'person' column: ids or e-mail addresses kept out of "
        "raw, exports and dashboards (unset: RA_PRIVACY_EXCLUSIONS, else none).",
    )
    activity_retention_days: str | None = Field(
        default=None,
        description="Activities older than this many days before the as-of instant are "
        "dropped (unset: RA_ACTIVITY_RETENTION_DAYS, else keep all).",
    )
    export_subjects: str | None = Field(
        default=None,
        description="false: activity subjects are empty in marts, exports and dashboards "
        "(unset: RA_EXPORT_SUBJECTS, else true).",
    )
    pseudonymise_sellers: str | None = Field(
        default=None,
        description="true: seller names become 'Seller <6 hex>' and their addresses empty in "
        "marts, exports and dashboards (unset: RA_PSEUDONYMISE_SELLERS, else false).",
    )
    personal_mail_domains: str | None = Field(
        default=None,
        description="Consumer mail domains, comma-separated: an address there that matched "
        "no record is emptied (unset: RA_PERSONAL_MAIL_DOMAINS, else a built-in list; none: "
        "no list).",
    )
    dataverse_url: str | None = Field(
        default=None,
        description="Dataverse organisation URL, e.g. https://contoso.crm.dynamics.com "
        "(unset: RA_DATAVERSE_URL).",
    )
    dataverse_tenant_id: str | None = Field(
        default=None,
        description="Microsoft Entra tenant of the app registration "
        "(unset: RA_DATAVERSE_TENANT_ID).",
    )
    dataverse_client_id: str | None = Field(
        default=None,
        description="The app registration's client id (unset: RA_DATAVERSE_CLIENT_ID).",
    )
    dataverse_client_secret: str | None = Field(
        default=None,
        description="The app registration's client secret (unset: RA_DATAVERSE_CLIENT_SECRET)."
        + _SECRET_HINT,
    )
    dataverse_token: str | None = Field(
        default=None,
        description="A bearer token used instead of msal (unset: RA_DATAVERSE_TOKEN)."
        + _SECRET_HINT,
    )

    exchange: str | None = Field(
        default=None,
        description="graph: also read the team's mail and meetings from Exchange Online "
        "through Microsoft Graph (unset: RA_EXCHANGE, else off).",
    )
    graph_url: str | None = Field(
        default=None,
        description="The Microsoft Graph endpoint (unset: RA_GRAPH_URL, else "
        "https://graph.microsoft.com/v1.0).",
    )
    graph_tenant_id: str | None = Field(
        default=None,
        description="Entra tenant for Graph (unset: RA_GRAPH_TENANT_ID, else the Dataverse one).",
    )
    graph_client_id: str | None = Field(
        default=None,
        description="Client id for Graph (unset: RA_GRAPH_CLIENT_ID, else the Dataverse one).",
    )
    graph_client_secret: str | None = Field(
        default=None,
        description="Client secret for Graph (unset: RA_GRAPH_CLIENT_SECRET, else the "
        "Dataverse one)." + _SECRET_HINT,
    )
    graph_token: str | None = Field(
        default=None,
        description="A Graph bearer token used instead of msal (unset: RA_GRAPH_TOKEN)."
        + _SECRET_HINT,
    )
    exchange_mailboxes: str | None = Field(
        default=None,
        description="Comma-separated allow-list of mailboxes read (unset: "
        "RA_EXCHANGE_MAILBOXES, else every active systemuser's internalemailaddress).",
    )
    exchange_days_back: str | None = Field(
        default=None,
        description="Days of mail and meetings read before the as-of date "
        "(unset: RA_EXCHANGE_DAYS_BACK, else 730).",
    )
    exchange_days_ahead: str | None = Field(
        default=None,
        description="Days of meetings read after the as-of date "
        "(unset: RA_EXCHANGE_DAYS_AHEAD, else 90).",
    )
    company_domains: str | None = Field(
        default=None,
        description="Comma-separated mail domains of the company (unset: RA_COMPANY_DOMAINS, "
        "else the domains of the systemusers' addresses).",
    )

    # The run's Settings, resolved once by setup_for_execution.
    _settings: Settings | None = PrivateAttr(default=None)

    def environment(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The RA_* variables (`environ`, default os.environ) with the set fields laid over
        them: the one input Settings.from_env and check_run_settings read."""
        env = dict(os.environ if environ is None else environ)
        for name, variable in FIELD_VARIABLES.items():
            value = getattr(self, name)
            if value is not None:
                env[variable] = str(value)
        return env

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Runs when a run's steps get their resources, before the first step body: a
        # bad setting fails the run while warehouse and exports are untouched.
        run = context.run
        try:
            self._settings = check_run_settings(
                run.run_config if run is not None else None, self.environment()
            )
        except ValueError as error:
            raise ValueError(self._name_fields(str(error))) from error

    def settings(self) -> Settings:
        """This run's Settings (resolved at set-up; outside a run, from the environment)."""
        if self._settings is not None:
            return self._settings
        return Settings.from_env(self.environment())

    def _name_fields(self, message: str) -> str:
        """A variable a field overrode is named as the field, where the value came from."""
        for name, variable in FIELD_VARIABLES.items():
            if getattr(self, name) is not None and variable in message:
                message = message.replace(
                    variable, f"run config resources.run_settings.config.{name}"
                )
        return message


# One shared instance: Definitions.merge refuses two different objects under one key, so
# every defs module registers this object as "run_settings".
run_settings_resource = RunSettingsResource()


@contextmanager
def connect_warehouse(
    path, read_only: bool = False, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection for one step, always closed: DuckDB allows one writer process.

    `memory_limit` is the run's cap (Settings.duckdb_memory_limit); unset, RA_DUCKDB_MEMORY_LIMIT
    or 6GB.
    """
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path), read_only=read_only)
    try:
        connection.execute("set TimeZone = 'UTC'")
        # The same cap as dbt's profile: the whole run stays within a laptop's memory
        # (DuckDB's default is 80% of RAM); bigger work spills to disk instead.
        limit = (
            memory_limit
            or os.environ.get(DUCKDB_MEMORY_LIMIT_VARIABLE)
            or DEFAULT_DUCKDB_MEMORY_LIMIT
        )
        connection.execute(f"set memory_limit = '{limit.replace(chr(39), '')}'")
        yield connection
    finally:
        connection.close()


def open_warehouse(settings: Settings, read_only: bool = False):
    """connect_warehouse for a run: its warehouse file with its memory cap."""
    return connect_warehouse(settings.warehouse, read_only, settings.duckdb_memory_limit)
