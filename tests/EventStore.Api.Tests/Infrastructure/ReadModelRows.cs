using EventStore.Domain.Timelines;
using Marten;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The read models as stored: the identity snapshots (<see cref="UserTimeline"/> documents), the timeline rows
/// (<c>timeline_entries</c>) and the per-user, per-name counts (<c>event_stats</c>). Tests count them, and damage
/// them to show that a rebuild repairs them, only through here.
/// </summary>
public static class ReadModelRows
{
    /// <summary>The identity snapshot of every user of a workspace.</summary>
    public static async Task<IReadOnlyList<UserTimeline>> TimelinesIn(this IDocumentStore store, string workspace)
    {
        await using var session = store.QuerySession(workspace);
        return await session.Query<UserTimeline>().ToListAsync(TestContext.Current.CancellationToken);
    }

    public static Task<IReadOnlyList<UserTimeline>> TimelinesIn(this ApiFixture api, string workspace) => api.Store.TimelinesIn(workspace);

    /// <summary>How many events a workspace's timelines list.</summary>
    public static Task<long> TimelineEntriesIn(this ApiFixture api, string workspace) => TimelineEntriesIn(api.ConnectionString, workspace);

    public static Task<long> TimelineEntriesIn(string connectionString, string workspace) =>
        Database.ScalarAsync<long>(connectionString, "select count(*) from eventstore.timeline_entries where tenant_id = $1", workspace);

    /// <summary>How many events a workspace's summaries count (tracked and imported).</summary>
    public static Task<long> EventsCountedIn(this ApiFixture api, string workspace) => EventsCountedIn(api.ConnectionString, workspace);

    public static Task<long> EventsCountedIn(string connectionString, string workspace) =>
        Database.ScalarAsync<long>(connectionString, "select coalesce(sum(count), 0)::bigint from eventstore.event_stats where tenant_id = $1", workspace);

    /// <summary>How many tracked events a workspace's hourly activity counts (the console's overview).</summary>
    public static Task<long> EventsInActivity(string connectionString, string workspace) =>
        Database.ScalarAsync<long>(connectionString, "select coalesce(sum(count), 0)::bigint from eventstore.event_activity where tenant_id = $1", workspace);

    /// <summary>The "created_at:seq" keyset position of a timeline's newest row: what the next cursor of a one-event first page holds.</summary>
    public static Task<string> NewestTimelinePosition(this ApiFixture api, string workspace, string timelineId) =>
        api.ScalarAsync<string>(
            "select created_at || ':' || seq from eventstore.timeline_entries where tenant_id = $1 and timeline_id = $2 order by created_at desc, seq desc limit 1",
            workspace, timelineId);

    /// <summary>The workspaces that have any timeline row.</summary>
    public static Task<IReadOnlyList<string>> WorkspacesWithTimelineEntries(this ApiFixture api) =>
        api.ListAsync<string>("select distinct tenant_id from eventstore.timeline_entries order by 1");

    /// <summary>Removes timeline rows: of one workspace and name, or (both null) all of them.</summary>
    public static Task DeleteTimelineEntries(this ApiFixture api, string? workspace = null, string? name = null) =>
        api.ExecuteAsync("delete from eventstore.timeline_entries where ($1 = '' or tenant_id = $1) and ($2 = '' or name = $2)", workspace ?? "", name ?? "");

    /// <summary>Removes every summary row.</summary>
    public static Task DeleteEventStats(this ApiFixture api) => api.ExecuteAsync("delete from eventstore.event_stats");

    /// <summary>Adds to every count of the summaries, of one workspace or (null) all.</summary>
    public static Task InflateEventStats(this ApiFixture api, long by, string? workspace = null) =>
        api.ExecuteAsync("update eventstore.event_stats set count = count + $2 where ($1 = '' or tenant_id = $1)", workspace ?? "", by);

    /// <summary>Gives a user's identity snapshot a wrong email.</summary>
    public static Task CorruptSnapshotEmail(this ApiFixture api, string workspace, string userId, string email) =>
        api.ExecuteAsync(
            "update eventstore.mt_doc_usertimeline set data = jsonb_set(data, '{Email}', to_jsonb($3::text)) where tenant_id = $1 and data ->> 'UserId' = $2",
            workspace, userId, email);
}
