"""Extract from Exchange Online: the team's mail and meetings into raw.graph_* (RA_EXCHANGE).

One multi-asset (keys `raw/graph_message`, `raw/graph_message_recipient`, `raw/graph_event`,
`raw/graph_event_attendee`, which the dbt sources of models/staging/graph point at),
after `raw/systemuser` (the mailboxes read are the enabled systemusers' addresses). Like
the CRM extract it stages its tables as `raw.<table>__next` and swaps them in together
with their delta links, in one transaction, or not at all
(orchestration.sources.raw_swap).

Without RA_EXCHANGE the step reads nothing and writes nothing; it still reports each
asset (metadata `exchange: off`), so the dbt step after it runs as before and its models
read no Exchange rows (dbt var `exchange_source` unset, orchestration/defs/dbt.py).

No `from __future__ import annotations` here: Dagster reads the asset function's
annotations at definition time.
"""

import dagster as dg

from orchestration.defs.extract import raw_asset_key
from orchestration.defs.resources import (
    WAREHOUSE_POOL,
    RunSettingsResource,
    open_warehouse,
    run_settings_resource,
)
from orchestration.settings import Settings
from orchestration.sources import exchange
from orchestration.sources.files import LandingDataError
from orchestration.sources.raw_swap import drop_staged_tables, staged_name, swap_staged_tables

EXCHANGE_TABLES = list(exchange.GRAPH_TABLE_NAMES)


def _spec(table: str) -> dg.AssetSpec:
    contract = exchange.GRAPH_TABLES[table]
    return dg.AssetSpec(
        key=raw_asset_key(table),
        group_name="extract",
        kinds={"duckdb"},
        deps=[raw_asset_key("systemuser")],
        description=(
            f"`{table}` read from Exchange Online through Microsoft Graph when RA_EXCHANGE="
            "graph (delta per mailbox folder; see orchestration/sources/exchange), loaded "
            f"into `raw.{table}` with the other Exchange tables, or not at all. Key "
            f"`{contract.primary_key}`."
        ),
        metadata={"dagster/table_name": f"raw.{table}", "primary_key": contract.primary_key},
    )


def run_exchange_extract(settings: Settings, log) -> exchange.ExchangeExtract:
    """Read the mailboxes into staged tables and swap them in with their links."""
    window = exchange.Window.around(
        settings.as_of, settings.exchange_days_back, settings.exchange_days_ahead
    )
    with open_warehouse(settings) as connection:
        drop_staged_tables(connection, EXCHANGE_TABLES)
    try:
        with exchange.GraphClient.from_settings(settings, log=log) as client:
            extract = exchange.extract_exchange(
                lambda: open_warehouse(settings),
                client,
                window,
                allow_list=settings.exchange_mailboxes,
                into={table: staged_name(table) for table in EXCHANGE_TABLES},
                log=log,
            )
    except BaseException:
        with open_warehouse(settings) as connection:
            drop_staged_tables(connection, EXCHANGE_TABLES)
        raise
    with open_warehouse(settings) as connection:
        swap_staged_tables(connection, EXCHANGE_TABLES, extract.pending_links)
    return extract


@dg.multi_asset(
    name="extract_exchange",
    specs=[_spec(table) for table in EXCHANGE_TABLES],
    pool=WAREHOUSE_POOL,
)
def extract_exchange_asset(context: dg.AssetExecutionContext, run_settings: RunSettingsResource):
    settings = run_settings.settings()
    if not settings.exchange:
        context.log.info("RA_EXCHANGE is unset: no mailbox read, raw.graph_* left as they are")
        for table in EXCHANGE_TABLES:
            yield dg.MaterializeResult(asset_key=raw_asset_key(table), metadata={"exchange": "off"})
        return
    try:
        extract = run_exchange_extract(settings, context.log)
    except exchange.GraphError as error:
        # Redacted at the source: the message holds no secret or token.
        raise dg.Failure(
            description=str(error),
            metadata={
                **({"table": error.table} if error.table else {}),
                "source": "exchange",
                **({"http_status": error.status} if error.status else {}),
            },
            allow_retries=error.retryable,
        ) from error
    except LandingDataError as error:
        raise dg.Failure(
            description=f"{error}\nNo raw Exchange table was replaced (all or none).",
            metadata={"table": error.table or "?", "column": error.column or "?"},
            allow_retries=False,
        ) from error
    modes = ", ".join(f"{count} {mode}" for mode, count in sorted(extract.modes().items()))
    context.log.info(
        f"exchange: {extract.mailboxes} mailbox(es), streams read {modes}; "
        f"{extract.entries_read} entries, {extract.entries_removed} removed, "
        f"{extract.requests} request(s)"
    )
    for table in EXCHANGE_TABLES:
        result = extract.loads[table]
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(table),
            metadata={
                "exchange": settings.exchange,
                "dagster/row_count": result.rows_loaded,
                "mailboxes": extract.mailboxes,
                "streams": dg.MetadataValue.json(extract.modes()),
                "entries_read": extract.entries_read,
                "entries_removed": extract.entries_removed,
                "pages": extract.pages,
                "requests": extract.requests,
            },
        )


defs = dg.Definitions(
    assets=[extract_exchange_asset],
    resources={"run_settings": run_settings_resource},
)
