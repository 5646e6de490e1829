-- The parties of the activities read from Exchange, in the shape of
-- stg_dataverse__activity_parties, resolved by address (int_email_addresses_resolved):
-- email from 1, to 2, cc 3, bcc 4 (the union over the message's copies: only the
-- sender's copy shows bcc); meeting organizer 7, required 5, optional 6 attendees
-- (resources are rooms, not people). An attendee who declined in any copy is no attendee.
-- is_company_address: an address that resolves to nothing but lies in one of the company's
-- domains (var company_domains, RA_COMPANY_DOMAINS; empty: the domains of the systemusers'
-- addresses) is the team side (int_activity_parties_sided).
{%- set company_domains = var('company_domains', []) %}

with emails as (
    select activity_id, message_identity
    from {{ ref('int_exchange_emails_deduplicated') }}
),

messages as (
    select message_key, coalesce(message_id, message_key) as message_identity
    from {{ ref('stg_graph__messages') }}
    where not is_draft
),

recipients as (
    select * from {{ ref('stg_graph__message_recipients') }}
),

meetings as (
    select activity_id, meeting_identity
    from {{ ref('int_exchange_meetings_deduplicated') }}
),

events as (
    select event_key, coalesce(ical_uid, event_key) as meeting_identity
    from {{ ref('stg_graph__events') }}
),

attendees as (
    select * from {{ ref('stg_graph__event_attendees') }}
    where attendee_type in ('organizer', 'required', 'optional')
),

addresses as (
    select * from {{ ref('int_email_addresses_resolved') }}
),

users as (
    select email_address from {{ ref('stg_dataverse__system_users') }}
),

participation_labels as (
    select option_value, option_label
    from {{ ref('option_set_labels') }}
    where entity = 'activityparty' and attribute = 'participationtypemask'
),

company_domains as (
    {%- if company_domains | length > 0 %}
    {%- for domain in company_domains %}
    select '{{ domain | lower | replace("'", "") }}' as mail_domain
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- else %}
    select distinct
        {{ email_domain(normalize_email_address('email_address')) }} as mail_domain
    from users
    where {{ normalize_email_address('email_address') }} like '%@%'
    {%- endif %}
),

email_parties as (
    select distinct
        emails.activity_id,
        case recipients.recipient_type
            when 'from' then 1
            when 'to' then 2
            when 'cc' then 3
            when 'bcc' then 4
        end as participation_type_mask,
        recipients.email_address
    from emails
    inner join messages
        on emails.message_identity = messages.message_identity
    inner join recipients
        on messages.message_key = recipients.message_key
    where recipients.email_address is not null
        and recipients.recipient_type in ('from', 'to', 'cc', 'bcc')
),

meeting_attendees as (
    select
        meetings.activity_id,
        case attendees.attendee_type
            when 'organizer' then 7
            when 'required' then 5
            when 'optional' then 6
        end as participation_type_mask,
        attendees.email_address,
        attendees.response
    from meetings
    inner join events
        on meetings.meeting_identity = events.meeting_identity
    inner join attendees
        on events.event_key = attendees.event_key
    where attendees.email_address is not null
),

declined as (
    select distinct activity_id, email_address
    from meeting_attendees
    where response = 'declined'
        and participation_type_mask <> 7
),

meeting_parties as (
    select distinct
        meeting_attendees.activity_id,
        meeting_attendees.participation_type_mask,
        meeting_attendees.email_address
    from meeting_attendees
    left join declined
        on meeting_attendees.activity_id = declined.activity_id
        and meeting_attendees.email_address = declined.email_address
    where declined.activity_id is null
        or meeting_attendees.participation_type_mask = 7
),

parties as (
    select * from email_parties
    union all
    select * from meeting_parties
),

final as (
    select
        {{ deterministic_guid(
            'exchange-party',
            "parties.activity_id || ':' || cast(parties.participation_type_mask as "
            ~ dbt.type_string() ~ ") || ':' || parties.email_address"
        ) }} as activity_party_id,
        parties.activity_id,
        addresses.party_id,
        addresses.party_type,
        parties.participation_type_mask,
        participation_labels.option_label as participation_role,
        parties.email_address as address_used,
        addresses.party_id is null and company_domains.mail_domain is not null
            as is_company_address
    from parties
    left join addresses
        on parties.email_address = addresses.email_address
    left join company_domains
        on {{ email_domain('parties.email_address') }} = company_domains.mail_domain
    left join participation_labels
        on parties.participation_type_mask = participation_labels.option_value
)

select * from final
