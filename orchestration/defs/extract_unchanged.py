"""Which tables an extract of landing files may skip or append to, and what it reports.

A table whose landing files are unchanged since its last committed load (its fingerprint,
orchestration/sources/landing_fingerprint.py, equals the stored one) keeps its raw table;
a table whose last load's parts are all still there, with only new parts added
(orchestration/sources/landing_parts.py), has just those staged and appended
(`appendable_parts`); the extract step (extract.py) stages the others whole. When the
privacy filter reads across tables (`must_load_all`), raw alone cannot tell what it
removed, so every table is loaded whole.
"""

from orchestration.contract import TableContract
from orchestration.defs.resources import open_warehouse
from orchestration.privacy.policy import PrivacyPolicy, privacy_policy
from orchestration.privacy.raw_filter import raw_relations, reads_across_tables
from orchestration.settings import Settings
from orchestration.sources.files import LandingFiles, find_landing_files
from orchestration.sources.landing_fingerprint import (
    code_fingerprint,
    landing_fingerprint,
    privacy_fingerprint,
    stored_fingerprints,
)
from orchestration.sources.landing_parts import (
    LandingParts,
    landing_parts,
    new_parts,
    stored_parts,
)
from orchestration.sources.raw_load_errors import LandingDataError
from orchestration.sources.raw_loader import RAW_SCHEMA, quote_identifier
from orchestration.sources.raw_parquet import raw_parquet_path
from orchestration.sources.raw_swap import staged_name


def run_privacy_policy(settings: Settings) -> PrivacyPolicy:
    """The run's privacy policy (docs/privacy.md), from its settings."""
    return privacy_policy(
        settings.privacy_folder,
        settings.privacy_exclusions,
        settings.activity_retention_days,
        settings.as_of,
        settings.personal_mail_domains,
    )


def landing_context(settings: Settings, policy: PrivacyPolicy) -> dict[str, str]:
    """What decides a table's raw rows besides its files: the CSV encoding, the privacy
    policy and the loading code (landing_fingerprint.py)."""
    return {
        "encoding": settings.landing_encoding,
        "privacy": privacy_fingerprint(policy),
        "code": code_fingerprint(),
    }


def landing_fingerprints(
    settings: Settings, policy: PrivacyPolicy, contracts: list[TableContract]
) -> dict[str, str | None]:
    """{table: fingerprint of its landing files} (landing_fingerprint.py); None for every
    table when the source is not landing files, or for a table whose files cannot be
    found (its load then reports why)."""
    if settings.source != "files":
        return {contract.name: None for contract in contracts}
    context = landing_context(settings, policy)
    fingerprints: dict[str, str | None] = {}
    for contract in contracts:
        try:
            files = find_landing_files(settings.landing_dir, contract.name)
            fingerprints[contract.name] = landing_fingerprint(files, context)
        except (LandingDataError, OSError):
            fingerprints[contract.name] = None
    return fingerprints


def current_parts(
    settings: Settings, policy: PrivacyPolicy, contracts: list[TableContract]
) -> dict[str, tuple[LandingFiles, LandingParts] | None]:
    """{table: (its landing files, their parts to store)}; None for every table when the
    source is not landing files, or for a table whose files cannot be found."""
    if settings.source != "files":
        return {contract.name: None for contract in contracts}
    context = landing_context(settings, policy)
    parts: dict[str, tuple[LandingFiles, LandingParts] | None] = {}
    for contract in contracts:
        try:
            files = find_landing_files(settings.landing_dir, contract.name)
            parts[contract.name] = (files, landing_parts(files, context))
        except (LandingDataError, OSError):
            parts[contract.name] = None
    return parts


def appendable_parts(
    settings: Settings,
    policy: PrivacyPolicy,
    current: dict[str, tuple[LandingFiles, LandingParts] | None],
    unchanged: list[str],
) -> dict[str, LandingFiles]:
    """{table: its new parts alone} for each changed table that may be appended to: its
    raw table is there, its last load's parts are all still there as they were and parts
    were added (landing_parts.new_parts). None when the privacy filter reads across
    tables with raw as it is (`must_load_all`)."""
    candidates = {
        table: found for table, found in current.items() if found and table not in unchanged
    }
    if not candidates:
        return {}
    with open_warehouse(settings) as connection:
        stored = stored_parts(connection)
        present = set(raw_relations(connection, {}))
    appends = {
        table: added
        for table, (files, parts) in candidates.items()
        if table in present and (added := new_parts(files, parts, stored.get(table)))
    }
    if appends and must_load_all(settings, policy, []):
        return {}
    return appends


def unchanged_tables(settings: Settings, fingerprints: dict[str, str | None]) -> list[str]:
    """Tables whose fingerprint equals the one stored by their last committed load, and
    whose raw table is there to keep."""
    with open_warehouse(settings) as connection:
        stored = stored_fingerprints(connection)
        present = set(raw_relations(connection, {}))
    return [
        table
        for table, fingerprint in fingerprints.items()
        if fingerprint is not None and stored.get(table) == fingerprint and table in present
    ]


def must_load_all(settings: Settings, policy: PrivacyPolicy, staged: list[str]) -> bool:
    """Whether the privacy filter reads across tables (raw_filter.reads_across_tables)
    with this run's staged tables, so that skipping an unchanged table is not safe."""
    with open_warehouse(settings) as connection:
        read = raw_relations(connection, {table: staged_name(table) for table in staged})
        return reads_across_tables(connection, policy, read)


def kept_rows(settings: Settings, tables: list[str]) -> dict[str, int]:
    """Row counts of raw tables an extract kept as they were."""
    if not tables:
        return {}
    with open_warehouse(settings, read_only=True) as connection:
        return {
            table: connection.execute(
                f"select count(*) from {RAW_SCHEMA}.{quote_identifier(table)}"
            ).fetchone()[0]
            for table in tables
        }


def unmirrored(settings: Settings, tables: list[str]) -> list[str]:
    """Of tables kept as they were, those with no Parquet mirror yet (RA_RAW_PARQUET_DIR)."""
    if settings.raw_parquet_dir is None:
        return []
    return [t for t in tables if not raw_parquet_path(settings.raw_parquet_dir, t).exists()]
