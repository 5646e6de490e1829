-- Sentiment of emails not marked outgoing, one row per scored email (English or Swedish);
-- emails in other languages or without text have no row (absent, not neutral).
with source as (
    select * from {{ email_sentiment_source() }}
)

select
    {{ normalize_guid('activityid') }} as activity_id,
    -- The email's integer key, which the health models join on (macros/activity_keys.sql).
    {{ activity_key(normalize_guid('activityid')) }} as activity_key,
    cast(language as {{ dbt.type_string() }}) as language_code,
    cast(compound as double) as compound
from source
where compound is not null
