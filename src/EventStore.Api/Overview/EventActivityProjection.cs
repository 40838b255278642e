using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Npgsql;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace EventStore.Api.Overview;

/// <summary>
/// Builds <c>event_activity</c>: how many events of each name were tracked in each hour (UTC, by the event's
/// <c>created_at</c>), per workspace: what the console's overview charts (<c>GET /events/activity</c>). Inline, like the
/// other read models (ADR 0008), so a chart counts an event as soon as its 202 is answered. Imported summaries are not
/// counted: they say how often, not when. A row is hot (every event of a name in an hour updates it), so each
/// connection writes a shard of its own (<see cref="Shards"/>): concurrent group commits never wait on each other's row,
/// and readers add the shards up. All the rules of this read model are here: which events count, the hour, the
/// upsert, and what an erasure takes away (ADR 0016).
/// </summary>
public sealed class EventActivityProjection : ITableProjection
{
    public const string ProjectionName = "EventActivity";
    public const long SecondsPerHour = 3600;

    /// <summary>Rows per (workspace, name, hour): writers on different connections use different rows.</summary>
    public const int Shards = 8;

    public static readonly PostgresqlObjectName Table = EventStoreSchema.TableNamed("event_activity");

    /// <summary>The read model: this projection, its table, how it is rebuilt (counted in memory, recounted after an erasure) and erased.</summary>
    public static readonly TableReadModel ReadModel = new(ProjectionName, "Tracked events per hour and event name, for the console's overview (GET /events/activity)",
        Table.Name, [typeof(EventTracked)], (shadow, _, _) => Accumulated(new EventActivityProjection(shadow)), keyedWhileFilled: true,
        recountAfterErasure: RecountFromTimelinesAsync)
    {
        Projection = new EventActivityProjection(),
        Definition = Definition,
        ForgetTimeline = ForgetTimelineAsync,
    };

    private static readonly string TrackedEventType = typeof(EventTracked).GetEventTypeName();

    private readonly string upsertSql;

    /// <summary>The inline projection, into <see cref="Table"/>.</summary>
    public EventActivityProjection()
        : this(Table.QualifiedName)
    {
    }

    /// <summary>The same projection writing into another table of the same shape (a rebuild's copy).</summary>
    public EventActivityProjection(string target) => upsertSql =
        $"insert into {target} as a (tenant_id, hour, name, shard, count) " +
        $"select t, h, n, pg_backend_pid() % {Shards}, c from unnest(?::varchar[], ?::bigint[], ?::varchar[], ?::bigint[]) as u(t, h, n, c) " +
        // Rows locked in key order: two transactions that share a shard can wait for each other, never deadlock.
        "order by t, h, n on conflict (tenant_id, hour, name, shard) do update set count = a.count + excluded.count";

    /// <summary>The start of the hour (Unix seconds, UTC) that <paramref name="unixSeconds"/> falls in.</summary>
    public static long HourOf(long unixSeconds) => unixSeconds - (((unixSeconds % SecondsPerHour) + SecondsPerHour) % SecondsPerHour);

    /// <summary>The projection in a rebuild's bulk pass: counts added up in memory across pages, then upserted.</summary>
    private static AccumulatedCopy<ActivityKey, long> Accumulated(EventActivityProjection projection) => new(projection, Count, projection.QueueUpsert);

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        Queue(operations, events);
        return Task.CompletedTask;
    }

    /// <summary>Counts the events and queues one upsert of the counts on the session (Marten's path and the set-based appends).</summary>
    public void Queue(IDocumentOperations operations, IReadOnlyList<IEvent> events)
    {
        var counts = new Dictionary<ActivityKey, long>();
        Count(events, counts);
        QueueUpsert(operations, counts);
    }

    /// <summary>Adds the tracked events among <paramref name="events"/> to <paramref name="into"/>, per (workspace, hour, name).</summary>
    public static void Count(IEnumerable<IEvent> events, Dictionary<ActivityKey, long> into)
    {
        foreach (var @event in events)
        {
            if (@event.Data is EventTracked tracked)
            {
                var key = new ActivityKey(@event.TenantId, HourOf(tracked.CreatedAt), tracked.Name);
                into[key] = into.GetValueOrDefault(key) + 1;
            }
        }
    }

    /// <summary>One upsert of counted events: each count adds to its row.</summary>
    public void QueueUpsert(IDocumentOperations operations, IReadOnlyDictionary<ActivityKey, long> counts)
    {
        if (counts.Count > 0)
        {
            operations.QueueSqlCommand(upsertSql,
                counts.Keys.Select(k => k.Workspace).ToArray(),
                counts.Keys.Select(k => k.Hour).ToArray(),
                counts.Keys.Select(k => k.Name).ToArray(),
                counts.Values.ToArray());
        }
    }

    /// <summary>
    /// In an erasure's transaction, before the user's events are deleted: takes their tracked events out of the counts,
    /// so the counts stay what a rebuild from the remaining log gives (ADR 0010, 0014). Only counts change: the
    /// table holds no user.
    /// </summary>
    public static Task ForgetTimelineAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string workspace, string timelineId,
        CancellationToken cancellation) =>
        Sql.ExecuteAsync(connection, transaction,
            $"insert into {Table.QualifiedName} as a (tenant_id, hour, name, shard, count) " +
            $"select $1, floor((e.data ->> 'CreatedAt')::bigint / {SecondsPerHour}.0)::bigint * {SecondsPerHour}, e.data ->> 'Name', pg_backend_pid() % {Shards}, -count(*) " +
            $"from {EventStoreSchema.SchemaName}.mt_events e where e.tenant_id = $1 and e.stream_id = $2 and e.type = $3 group by 2, 3 order by 2, 3 " +
            "on conflict (tenant_id, hour, name, shard) do update set count = a.count + excluded.count",
            cancellation, workspace, timelineId, TrackedEventType);

    /// <summary>
    /// Recounts <paramref name="target"/> (a rebuild's copy) for one workspace, or all when null, from <c>timeline_entries</c>, which
    /// holds one row per tracked event and loses an erased user's rows in the erasure's transaction. A rebuild does this, with
    /// writers held and the timeline already switched, when a user was erased while it ran: the counts hold no user, so the
    /// erased user's share of the copy cannot be picked out (ADR 0016).
    /// </summary>
    public static async Task RecountFromTimelinesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string target, string? workspace,
        CancellationToken cancellation)
    {
        await Sql.ExecuteAsync(connection, transaction, $"delete from {target} where $1::varchar is null or tenant_id = $1", cancellation, workspace);
        await Sql.ExecuteAsync(connection, transaction,
            $"insert into {target} (tenant_id, hour, name, shard, count) " +
            $"select tenant_id, floor(created_at / {SecondsPerHour}.0)::bigint * {SecondsPerHour}, name, 0, count(*) " +
            $"from {Timelines.TimelineProjection.Table.QualifiedName} where $1::varchar is null or tenant_id = $1 group by 1, 2, 3",
            cancellation, workspace);
    }

    /// <summary>The table, registered with Marten's schema objects so start-up and <c>db-apply</c> create and migrate it.</summary>
    public static Table Definition()
    {
        var table = new Table(Table);
        // Keyed in the order reads range over it: a workspace's hours, then names.
        table.AddColumn<string>("tenant_id").NotNull().AsPrimaryKey();
        table.AddColumn<long>("hour").NotNull().AsPrimaryKey();
        table.AddColumn<string>("name").NotNull().AsPrimaryKey();
        table.AddColumn<short>("shard").NotNull().AsPrimaryKey();
        table.AddColumn<long>("count").NotNull();
        return table;
    }
}

/// <summary>The key of the counts: one workspace's events of one name in one hour.</summary>
public readonly record struct ActivityKey(string Workspace, long Hour, string Name);
