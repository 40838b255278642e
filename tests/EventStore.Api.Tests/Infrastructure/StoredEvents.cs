using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The event log as the store holds it, read with the service's own Marten mapping (not through the API under
/// test), plus the few ways tests read or write it below Marten. What a test compares clients' answers with.
/// </summary>
public static class StoredEvents
{
    /// <summary>Every event stored in a workspace, oldest first.</summary>
    public static async Task<IReadOnlyList<IEvent>> EventsIn(this IDocumentStore store, string workspace)
    {
        await using var session = store.QuerySession(workspace);
        return await session.Events.QueryAllRawEvents().OrderBy(e => e.Sequence).ToListAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Every tracked event stored in a workspace, oldest first.</summary>
    public static async Task<IReadOnlyList<EventTracked>> TrackedIn(this IDocumentStore store, string workspace) =>
        [.. (await store.EventsIn(workspace)).Select(e => e.Data).OfType<EventTracked>()];

    public static Task<IReadOnlyList<IEvent>> EventsIn(this ApiFixture api, string workspace) => api.Store.EventsIn(workspace);

    public static Task<IReadOnlyList<EventTracked>> TrackedIn(this ApiFixture api, string workspace) => api.Store.TrackedIn(workspace);

    /// <summary>How many events (of any kind) a workspace's log holds.</summary>
    public static async Task<int> CountIn(this ApiFixture api, string workspace)
    {
        await using var session = api.Store.QuerySession(workspace);
        return await session.Events.QueryAllRawEvents().CountAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The store's highest event sequence number.</summary>
    public static Task<long> HighWaterMark(this ApiFixture api) =>
        api.ScalarAsync<long>("select coalesce(max(seq_id), 0) from eventstore.mt_events");

    /// <summary>The stored JSON bodies of a user's tracked events, as PostgreSQL holds them.</summary>
    public static Task<IReadOnlyList<string>> StoredBodiesOf(this ApiFixture api, string workspace, string userId) =>
        api.ListAsync<string>(
            "select e.data::text from eventstore.mt_events e where e.tenant_id = $1 and e.type = 'event_tracked' and e.data ->> 'UserId' = $2 order by e.seq_id",
            workspace, userId);

    /// <summary>Events anywhere in a workspace (any stream, Marten's tombstones included) whose body contains the text.</summary>
    public static Task<long> EventsMentioning(this ApiFixture api, string workspace, string text) =>
        api.ScalarAsync<long>("select count(*) from eventstore.mt_events where tenant_id = $1 and strpos(data::text, $2) > 0", workspace, text);

    /// <summary>Replaces a stored event's body (for example with one that no longer reads as its type) and returns the body it had.</summary>
    public static async Task<string> ReplaceBodyAsync(this ApiFixture api, Guid eventId, string json)
    {
        var original = await api.ScalarAsync<string>("select data::text from eventstore.mt_events where id = $1", eventId);
        await api.ExecuteAsync("update eventstore.mt_events set data = $2::jsonb where id = $1", eventId, json);
        return original;
    }

    /// <summary>
    /// Appends an event to a user's stream the way an append does (the stream's row locked, its version moved on) in a
    /// transaction the caller commits when it chooses: a writer holding the stream while something else runs.
    /// </summary>
    public static async Task<NpgsqlTransaction> BeginAppendAsync(this ApiFixture api, NpgsqlConnection connection, string workspace, string stream, object @event)
    {
        var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var version = await Database.ScalarOnAsync<long>(connection,
            "select version from eventstore.mt_streams where tenant_id = $1 and id = $2 for update", workspace, stream);
        var type = @event.GetType();
        await Database.ScalarOnAsync<object>(connection,
            "insert into eventstore.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
            "values (nextval('eventstore.mt_events_sequence'), $1, $2, $3, $4::jsonb, $5, $6, now(), $7, false)",
            Guid.NewGuid(), stream, version + 1, api.Store.Options.Serializer().ToJson(@event), type.GetEventTypeName(), workspace,
            $"{type.FullName}, {type.Assembly.GetName().Name}");
        await Database.ScalarOnAsync<object>(connection,
            "update eventstore.mt_streams set version = $3 where tenant_id = $1 and id = $2", workspace, stream, version + 1);
        return transaction;
    }
}
