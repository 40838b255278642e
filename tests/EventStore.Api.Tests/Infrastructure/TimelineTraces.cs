namespace EventStore.Api.Tests.Infrastructure;

/// <summary>What is left of one timeline in each table that can hold it.</summary>
public sealed record Traces(long Events, long Streams, long Snapshots, long TimelineEntries, long EventStats, long Occurrences, long SegmentChanges)
{
    public static readonly Traces None = new(0, 0, 0, 0, 0, 0, 0);
}

/// <summary>
/// Every row the store holds for a user, table by table, and rows that belong to no user: what an erasure must
/// remove and a half-done one would leave. The one place that knows every table a timeline writes to, and the
/// format of its de-duplication keys (<c>{timeline}|…</c> for tracked events, <c>summary|{timeline}|…</c> for imports).
/// </summary>
public static class TimelineTraces
{
    /// <summary>Counts the rows that belong to a timeline, table by table, straight from PostgreSQL.</summary>
    public static async Task<Traces> TracesOf(this ApiFixture api, string workspace, string timelineId)
    {
        var counts = await api.ListAsync<long[]>(
            """
            select array[
              (select count(*) from eventstore.mt_events where tenant_id = $1 and stream_id = $2),
              (select count(*) from eventstore.mt_streams where tenant_id = $1 and id = $2),
              (select count(*) from eventstore.mt_doc_usertimeline where tenant_id = $1 and id = $2),
              (select count(*) from eventstore.timeline_entries where tenant_id = $1 and timeline_id = $2),
              (select count(*) from eventstore.event_stats where tenant_id = $1 and timeline_id = $2),
              (select count(*) from eventstore.occurrence_keys where tenant_id = $1 and (starts_with(id, $2 || '|') or starts_with(id, 'summary|' || $2 || '|'))),
              (select count(*) from eventstore.segment_changes where tenant_id = $1 and timeline_id = $2)]
            """,
            workspace, timelineId);
        var c = counts.Single();
        return new Traces(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    }

    /// <summary>
    /// Every row of a workspace that belongs to no user timeline snapshot: what a half-done erasure would leave.
    /// Besides the workspace streams, Marten's own <c>mt_tombstone</c> stream is expected: it records sequence
    /// numbers of rolled-back appends (empty events, see <see cref="StoredEvents.EventsMentioning"/>).
    /// </summary>
    public static Task<IReadOnlyList<string>> OrphansIn(this ApiFixture api, string workspace) =>
        api.ListAsync<string>(
            """
            select 'mt_events ' || stream_id from eventstore.mt_events e where tenant_id = $1 and stream_id not in ('event-names', 'erasures', 'mt_tombstone')
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = e.stream_id)
            union all
            select 'mt_streams ' || id from eventstore.mt_streams s where tenant_id = $1 and id not in ('event-names', 'erasures', 'mt_tombstone')
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = s.id)
            union all
            select 'timeline_entries ' || timeline_id from eventstore.timeline_entries x where tenant_id = $1
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = x.timeline_id)
            union all
            select 'event_stats ' || timeline_id from eventstore.event_stats x where tenant_id = $1
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = x.timeline_id)
            union all
            select 'segment_changes ' || timeline_id from eventstore.segment_changes x where tenant_id = $1 and timeline_id <> ''
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = x.timeline_id)
            union all
            select 'occurrence ' || id from eventstore.occurrence_keys o where tenant_id = $1
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1
                and (starts_with(o.id, t.id || '|') or starts_with(o.id, 'summary|' || t.id || '|')))
            union all
            select 'snapshot without a started stream ' || id from eventstore.mt_doc_usertimeline t where tenant_id = $1
              and not exists (select 1 from eventstore.mt_events e where e.tenant_id = $1 and e.stream_id = t.id and e.version = 1 and e.type = 'user_timeline_started')
            """,
            workspace);
}
