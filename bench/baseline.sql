-- The benchmark's baseline (issue 15): one DuckDB script, written without the dbt models,
-- that computes the basic KPI columns of mart_relationship_kpis and the response metrics
-- straight from the landing files (KPI_SPEC sections 1-4; readings of
-- docs/kpi_definitions.md). `make bench` times it beside the pipeline; tests compare its
-- numbers with the marts, so it is also an independent check of them.
--
-- Expects: views landing_<table> over the landing files (bench/baseline.py makes them), the
-- variable as_of (a TIMESTAMP, UTC) and TimeZone = 'UTC'. Leaves: table baseline_kpis, one
-- row per account, contact, lead and opportunity. Keys are assumed unique per file (as the
-- generator writes them): no newest-version or deleted-row handling.

create or replace temp macro nid(x) as
    nullif(lower(trim(replace(replace(cast(x as varchar), '{', ''), '}', ''))), '');
create or replace temp macro flag(x) as
    case lower(trim(cast(x as varchar)))
        when 'true' then true when '1' then true when 'false' then false when '0' then false
    end;
create or replace temp macro utc(x) as timezone('UTC', cast(x as timestamptz));
create or replace temp macro mail_id(x) as
    nullif(trim(trim(cast(x as varchar)), '<>'), '');
-- Outlook's conversation index as upper-case hex of its bytes: hex kept, base64 decoded.
create or replace temp macro index_hex(x) as
    case
        when regexp_full_match(trim(x), '([0-9a-fA-F]{2})+') then upper(trim(x))
        when regexp_full_match(trim(x), '[A-Za-z0-9+/]+={0,2}')
            and length(rtrim(trim(x), '=')) % 4 <> 1
            then hex(from_base64(rtrim(trim(x), '=')
                || repeat('=', (4 - length(rtrim(trim(x), '=')) % 4) % 4)))
    end;

-- Activities: one row each, with status relative to T and minutes inputs.
create or replace temp table b_activities as
with emails as (
    select
        'email' as activity_type, nid(activityid) as activity_id, subject,
        nid(regardingobjectid) as regarding_id,
        lower(trim(regardingobjecttypecode)) as regarding_type,
        coalesce(utc(senton), utc(modifiedon)) as activity_at,
        flag(directioncode) as outgoing,
        cast(statuscode as integer) as statuscode, cast(statecode as integer) as statecode,
        cast(null as double) as duration_minutes
    from landing_email
),

meetings as (
    select
        'meeting' as activity_type, nid(activityid) as activity_id, subject,
        nid(regardingobjectid) as regarding_id,
        lower(trim(regardingobjecttypecode)) as regarding_type,
        coalesce(utc(actualstart), utc(scheduledstart)) as activity_at,
        coalesce(utc(actualend), utc(scheduledend)) as end_at,
        cast(statecode as integer) as statecode,
        coalesce(
            cast(actualdurationminutes as double),
            cast(scheduleddurationminutes as double),
            date_diff('second', coalesce(utc(actualstart), utc(scheduledstart)),
                coalesce(utc(actualend), utc(scheduledend))) / 60.0
        ) as duration_minutes
    from landing_appointment
),

calls as (
    select
        'phone_call' as activity_type, nid(activityid) as activity_id, subject,
        nid(regardingobjectid) as regarding_id,
        lower(trim(regardingobjecttypecode)) as regarding_type,
        cast(statecode as integer) as statecode,
        coalesce(utc(actualstart), utc(actualend), utc(modifiedon)) as held_at,
        utc(scheduledstart) as scheduled_at,
        flag(directioncode) as outgoing,
        coalesce(
            cast(actualdurationminutes as double),
            date_diff('second', utc(actualstart), utc(actualend)) / 60.0
        ) as duration_minutes
    from landing_phonecall
)

select
    activity_type, activity_id, subject, regarding_id, regarding_type, activity_at, outgoing,
    duration_minutes,
    case
        when statuscode in (2, 3, 4) and coalesce(statecode, -1) <> 2
            and activity_at <= getvariable('as_of') then 'completed'
        when statuscode in (2, 3, 4, 6, 7) and coalesce(statecode, -1) <> 2
            and activity_at > getvariable('as_of') then 'future'
    end as status
from emails
union all
select
    activity_type, activity_id, subject, regarding_id, regarding_type, activity_at, null,
    duration_minutes,
    case
        when coalesce(statecode, -1) = 2 or activity_at is null then null
        when end_at <= getvariable('as_of') then 'completed'
        when end_at > getvariable('as_of') then 'future'
        when end_at is null and activity_at > getvariable('as_of') then 'future'
    end
from meetings
union all
select
    activity_type, activity_id, subject, regarding_id, regarding_type,
    case when statecode = 0 then scheduled_at else held_at end, outgoing, duration_minutes,
    case
        when statecode = 1 and held_at <= getvariable('as_of') then 'completed'
        when statecode = 1 and held_at > getvariable('as_of') then 'future'
        when statecode = 0 and scheduled_at > getvariable('as_of') then 'future'
    end
from calls;

-- Parties with their side, in a qualifying role for their activity's type.
create or replace temp table b_parties as
select
    activities.activity_id, activities.activity_type, nid(parties.partyid) as party_id,
    cast(parties.participationtypemask as integer) as mask,
    case
        when lower(trim(parties.partyobjecttypecode)) = 'systemuser'
            and nid(parties.partyid) is not null then 'team'
        when lower(trim(parties.partyobjecttypecode)) in ('contact', 'account', 'lead')
            or nid(parties.partyid) is null then 'customer'
    end as side,
    case activities.activity_type
        when 'email' then cast(parties.participationtypemask as integer) in (1, 2, 3)
        when 'meeting' then cast(parties.participationtypemask as integer) in (5, 6, 7)
        else cast(parties.participationtypemask as integer) in (1, 2)
    end as qualifies
from landing_activityparty as parties
inner join b_activities as activities on activities.activity_id = nid(parties.activityid);

-- Who initiated each activity, and the minutes each side spent on it.
create or replace temp table b_activity_facts as
with by_activity as (
    select
        activity_id,
        bool_or(mask = 1 and side = 'team') as team_sender,
        bool_or(mask = 1 and side = 'customer') as customer_sender,
        bool_or(mask = 7 and side = 'team') as team_organizer,
        bool_or(mask = 7 and side = 'customer') as customer_organizer,
        count(distinct case when side = 'team' and mask in (2, 3, 4) then party_id end)
            as team_recipients,
        bool_or(side = 'customer' and mask in (2, 3, 4)) as customer_recipient,
        count(distinct case when side = 'team' and mask in (5, 6, 7) then party_id end)
            as team_attendees,
        bool_or(side = 'customer' and mask in (5, 6, 7)) as customer_attendee,
        count(distinct case when side = 'team' and mask in (1, 2) then party_id end)
            as team_callers,
        bool_or(side = 'customer' and mask in (1, 2)) as customer_caller
    from b_parties
    group by activity_id
),

initiated as (
    select
        activities.*, by_activity.*  exclude (activity_id),
        case
            when activities.activity_type = 'meeting' then
                case
                    when by_activity.team_organizer then 'team'
                    when by_activity.customer_organizer then 'customer'
                    else 'team'
                end
            when activities.outgoing then 'team'
            when not activities.outgoing then 'customer'
            when by_activity.team_sender then 'team'
            when by_activity.customer_sender then 'customer'
        end as initiator
    from b_activities as activities
    left join by_activity on by_activity.activity_id = activities.activity_id
)

select
    activity_id, activity_type, subject, activity_at, status, initiator,
    case activity_type
        when 'email' then (case when initiator = 'team' then 5 else 0 end)
            + 2.5 * coalesce(team_recipients, 0)
        when 'meeting' then coalesce(duration_minutes * team_attendees, 0)
        else coalesce(duration_minutes * team_callers, 0)
    end as team_minutes,
    case activity_type
        when 'email' then
            case when initiator = 'customer' then 5 when customer_recipient then 2.5 else 0 end
        when 'meeting' then case when customer_attendee then coalesce(duration_minutes, 0) else 0 end
        else case when customer_caller then coalesce(duration_minutes, 0) else 0 end
    end as customer_minutes
from initiated;

-- Records and their people of interest (KPI_SPEC section 2).
create or replace temp table b_records as
select 'account' as record_type, nid(accountid) as record_id, name as record_name from landing_account
union all select 'contact', nid(contactid), fullname from landing_contact
union all select 'lead', nid(leadid), fullname from landing_lead
union all select 'opportunity', nid(opportunityid), name from landing_opportunity;

create or replace temp table b_connections as
select
    nid(connections.record1id) as record_id, nid(connections.record2id) as person_id,
    lower(trim(connections.record2objecttypecode)) as person_type,
    cast(roles.category as integer) as category
from landing_connection as connections
inner join landing_connectionrole as roles
    on nid(roles.connectionroleid) = nid(connections.record2roleid)
where cast(connections.statecode as integer) = 0;

create or replace temp table b_customer_people as
select 'contact' as record_type, nid(contactid) as record_id, nid(contactid) as person_id
from landing_contact
union
select 'account', nid(parentcustomerid), nid(contactid) from landing_contact
where nid(parentcustomerid) is not null
union
select 'account', nid(accountid), nid(primarycontactid) from landing_account
where nid(primarycontactid) is not null
union
select 'opportunity', nid(opportunityid), nid(parentcontactid) from landing_opportunity
where nid(parentcontactid) is not null
union
select 'opportunity', nid(opportunities.opportunityid), nid(accounts.primarycontactid)
from landing_opportunity as opportunities
inner join landing_account as accounts
    on nid(accounts.accountid) = nid(opportunities.parentaccountid)
where nid(accounts.primarycontactid) is not null
union
select 'lead', nid(leadid), nid(leadid) from landing_lead
union
select 'lead', nid(leadid), nid(parentcontactid) from landing_lead
where nid(parentcontactid) is not null
union
select records.record_type, connections.record_id, connections.person_id
from b_connections as connections
inner join b_records as records
    on records.record_id = connections.record_id
    and records.record_type in ('opportunity', 'lead')
where connections.category = 1000;

create or replace temp table b_team_people as
select 'opportunity' as record_type, nid(opportunityid) as record_id, nid(ownerid) as person_id
from landing_opportunity
union
select 'lead', nid(leadid), nid(ownerid) from landing_lead
union
select 'opportunity', connections.record_id, connections.person_id
from b_connections as connections
inner join b_records as records
    on records.record_id = connections.record_id and records.record_type = 'opportunity'
where connections.category = 1001 and connections.person_type = 'systemuser';

-- Links: regarding, an account's roll-up of what regards its children, participants.
create or replace temp table b_links as
with regarding as (
    select records.record_type, records.record_id, activities.activity_id
    from b_activities as activities
    inner join b_records as records
        on records.record_id = activities.regarding_id
        and records.record_type = activities.regarding_type
),

children as (
    select 'contact' as child_type, nid(contactid) as child_id, nid(parentcustomerid) as account_id
    from landing_contact
    union all
    select 'opportunity', nid(opportunityid), nid(parentaccountid) from landing_opportunity
    union all
    select 'lead', nid(leadid), nid(parentaccountid) from landing_lead
),

rolled_up as (
    select 'account' as record_type, children.account_id as record_id, activities.activity_id
    from b_activities as activities
    inner join children
        on children.child_id = activities.regarding_id
        and children.child_type = activities.regarding_type
    inner join b_records as accounts
        on accounts.record_type = 'account' and accounts.record_id = children.account_id
),

customer_matches as (
    select distinct people.record_type, people.record_id, parties.activity_id
    from b_parties as parties
    inner join b_customer_people as people on people.person_id = parties.party_id
    where parties.qualifies and parties.side = 'customer'
),

-- Opportunities and leads also need one of their team people of interest in the activity,
-- checked from the customer matches (an owner takes part in far more activities).
team_confirmed as (
    select distinct customer_matches.*
    from customer_matches
    inner join b_parties as parties
        on parties.activity_id = customer_matches.activity_id
        and parties.qualifies and parties.side = 'team'
    inner join b_team_people as people
        on people.record_type = customer_matches.record_type
        and people.record_id = customer_matches.record_id
        and people.person_id = parties.party_id
    where customer_matches.record_type in ('opportunity', 'lead')
),

participants as (
    select * from customer_matches where record_type in ('contact', 'account')
    union all
    select * from team_confirmed
)

select * from regarding
union
select * from rolled_up
union
select * from participants;

-- Replies (KPI_SPEC section 4): completed emails only; parent by message id, else by the
-- longest proper conversation-index prefix; the first answer from the other side counts.
create or replace temp table b_replies as
with completed as (
    select
        facts.activity_id, facts.activity_at, facts.initiator,
        mail_id(emails.messageid) as message_id, mail_id(emails.inreplyto) as in_reply_to,
        index_hex(cast(emails.conversationindex as varchar)) as index_hex
    from b_activity_facts as facts
    inner join landing_email as emails on nid(emails.activityid) = facts.activity_id
    where facts.activity_type = 'email' and facts.status = 'completed'
),

by_message_id as (
    select child.activity_id as child_id, min(parent.activity_id) as parent_id
    from completed as child
    inner join completed as parent
        on parent.message_id = child.in_reply_to and parent.activity_id <> child.activity_id
    group by child.activity_id
),

index_lengths as (
    select distinct length(index_hex) as hex_length from completed where index_hex is not null
),

by_index as (
    select child.activity_id as child_id, parent.activity_id as parent_id
    from completed as child
    inner join index_lengths on index_lengths.hex_length < length(child.index_hex)
    inner join completed as parent
        on parent.index_hex = left(child.index_hex, index_lengths.hex_length)
    where child.activity_id not in (select child_id from by_message_id)
    qualify row_number() over (
        partition by child.activity_id
        order by index_lengths.hex_length desc, parent.activity_id
    ) = 1
),

pairs as (
    select * from by_message_id
    union all
    select * from by_index
)

select
    parent.activity_id as parent_id, parent.initiator as parent_initiator,
    date_diff('second', parent.activity_at, child.activity_at) / 3600.0 as response_hours
from pairs
inner join completed as parent on parent.activity_id = pairs.parent_id
inner join completed as child on child.activity_id = pairs.child_id
where parent.initiator is not null and child.initiator is not null
    and parent.initiator <> child.initiator and child.activity_at > parent.activity_at
qualify row_number() over (
    partition by parent.activity_id order by child.activity_at, child.activity_id
) = 1;

create or replace temp table baseline_kpis as
with linked as (
    select links.record_type, links.record_id, facts.*
    from b_links as links
    inner join b_activity_facts as facts on facts.activity_id = links.activity_id
),

counts as (
    select
        record_type, record_id,
        count(*) filter (activity_type = 'email' and initiator = 'team') as emails_sent,
        count(*) filter (activity_type = 'email' and initiator = 'customer') as emails_received,
        count(*) filter (activity_type = 'meeting' and initiator = 'team') as meetings_sent,
        count(*) filter (activity_type = 'meeting' and initiator = 'customer') as meetings_received,
        count(*) filter (activity_type = 'phone_call' and initiator = 'team') as phone_calls_made,
        count(*) filter (activity_type = 'phone_call' and initiator = 'customer')
            as phone_calls_received,
        sum(team_minutes) as time_spent_by_team_minutes,
        sum(customer_minutes) as time_spent_by_customer_minutes
    from linked
    where status = 'completed'
    group by record_type, record_id
),

responses as (
    select
        linked.record_type, linked.record_id,
        count(*) filter (linked.initiator = 'customer') as responses_by_us,
        sum(replies.response_hours) filter (linked.initiator = 'customer')
            as response_time_by_us_hours_sum,
        count(*) filter (linked.initiator = 'team') as responses_by_them,
        sum(replies.response_hours) filter (linked.initiator = 'team')
            as response_time_by_them_hours_sum
    from linked
    inner join b_replies as replies on replies.parent_id = linked.activity_id
    group by linked.record_type, linked.record_id
),

last_interaction as (
    select record_type, record_id, activity_at, activity_type, subject, activity_id
    from linked
    where status = 'completed'
    qualify row_number() over (
        partition by record_type, record_id order by activity_at desc, activity_id
    ) = 1
),

next_interaction as (
    select record_type, record_id, activity_at, activity_type, subject, activity_id
    from linked
    where status = 'future'
    qualify row_number() over (
        partition by record_type, record_id order by activity_at, activity_id
    ) = 1
),

joined as (
    select
        records.record_type, records.record_id,
        coalesce(counts.emails_sent, 0) as emails_sent,
        coalesce(counts.emails_received, 0) as emails_received,
        coalesce(counts.meetings_sent, 0) as meetings_sent,
        coalesce(counts.meetings_received, 0) as meetings_received,
        coalesce(counts.phone_calls_made, 0) as phone_calls_made,
        coalesce(counts.phone_calls_received, 0) as phone_calls_received,
        coalesce(counts.time_spent_by_team_minutes, 0) as time_spent_by_team_minutes,
        coalesce(counts.time_spent_by_customer_minutes, 0) as time_spent_by_customer_minutes,
        coalesce(responses.responses_by_us, 0) as responses_by_us,
        coalesce(responses.response_time_by_us_hours_sum, 0) as response_time_by_us_hours_sum,
        coalesce(responses.responses_by_them, 0) as responses_by_them,
        coalesce(responses.response_time_by_them_hours_sum, 0)
            as response_time_by_them_hours_sum,
        last_interaction.activity_at as last_interaction_at,
        last_interaction.activity_type as last_interaction_type,
        last_interaction.subject as last_interaction_subject,
        last_interaction.activity_id as last_interaction_activity_id,
        next_interaction.activity_at as next_interaction_at,
        next_interaction.activity_type as next_interaction_type,
        next_interaction.subject as next_interaction_subject,
        next_interaction.activity_id as next_interaction_activity_id
    from b_records as records
    left join counts
        on counts.record_type = records.record_type and counts.record_id = records.record_id
    left join responses
        on responses.record_type = records.record_type
        and responses.record_id = records.record_id
    left join last_interaction
        on last_interaction.record_type = records.record_type
        and last_interaction.record_id = records.record_id
    left join next_interaction
        on next_interaction.record_type = records.record_type
        and next_interaction.record_id = records.record_id
)

select
    *,
    emails_sent + meetings_sent + phone_calls_made as activities_initiated_by_team,
    emails_received + meetings_received + phone_calls_received
        as activities_initiated_by_customer,
    emails_received / nullif(emails_sent, 0) as email_ratio_by_them,
    emails_sent / nullif(emails_received, 0) as email_ratio_by_us,
    responses_by_us / nullif(emails_received, 0) as response_rate_by_us,
    responses_by_them / nullif(emails_sent, 0) as response_rate_by_them,
    response_time_by_us_hours_sum / nullif(responses_by_us, 0) as avg_response_time_by_us_hours,
    response_time_by_them_hours_sum / nullif(responses_by_them, 0)
        as avg_response_time_by_them_hours
from joined;
