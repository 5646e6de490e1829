"""Score customer emails' sentiment into raw.email_sentiment (asset `raw/email_sentiment`).

Runs after the email extract (`raw/email`) and before dbt, whose source
`dataverse.email_sentiment` points at this asset, so the health model reads a table
(orchestration/sentiment/table.py: incremental per (activityid, modifiedon)). With
RA_RAW_PARQUET_DIR set, the table is mirrored as Parquet like the extract's tables
(`mirror_raw_parquet`), so the dbt `spark` target reads the same scores.

No `from __future__ import annotations` here: Dagster reads the asset function's
annotations at definition time.
"""

import dagster as dg

from orchestration.defs.extract import mirror_raw_parquet, raw_asset_key
from orchestration.defs.resources import (
    WAREHOUSE_POOL,
    RunSettingsResource,
    open_warehouse,
    run_settings_resource,
)
from orchestration.sentiment.table import TABLE, TABLE_NAME, update_email_sentiment


@dg.asset(
    key=raw_asset_key("email_sentiment"),
    group_name="extract",
    kinds={"duckdb", "python"},
    deps=[raw_asset_key("email")],
    pool=WAREHOUSE_POOL,
    description=(
        "Sentiment of emails not marked outgoing: language (py3langid, the closer of "
        "English and Swedish) and VADER compound (-1..1; English lexicon, or the vendored "
        "Swedish one), from the subject and the HTML-stripped description when present. "
        "Text without letters: null compound. Key (activityid, modifiedon); only new and "
        "changed emails are scored. Mirrored as Parquet when RA_RAW_PARQUET_DIR is set."
    ),
    metadata={"dagster/table_name": TABLE},
)
def email_sentiment_asset(context: dg.AssetExecutionContext, run_settings: RunSettingsResource):
    settings = run_settings.settings()
    with open_warehouse(settings) as connection:
        try:
            run = update_email_sentiment(connection)
        except LookupError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
    mirrored = mirror_raw_parquet(settings, [TABLE_NAME], context.log)
    context.log.info(
        f"email sentiment: {run.candidates} candidate emails, {run.scored} scored now, "
        f"{run.dropped} dropped (deleted or changed), {run.rows} rows"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": run.rows,
            "candidates": run.candidates,
            "scored_now": run.scored,
            "dropped": run.dropped,
            **mirrored.get(TABLE_NAME, {}),
        }
    )


defs = dg.Definitions(
    assets=[email_sentiment_asset],
    resources={"run_settings": run_settings_resource},
)
