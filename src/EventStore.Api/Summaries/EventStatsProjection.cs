using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace EventStore.Api.Summaries;

/// <summary>
/// Builds <c>event_stats</c>: per user and event name, the count, first and last occurrence, merged from
/// tracked events and imported summaries (<see cref="EventStats"/>). It serves both user summaries (by user)
/// and segments (by name, filtered on count / first / last): the primary key serves users, a covering index by
/// name serves segments, and one more index serves count thresholds (ADR 0013). Inline, so summaries read their
/// own writes. A batch of events is first merged per (workspace, user, name) in
/// memory, then written as one atomic upsert statement, so concurrent writers never lose counts.
/// </summary>
public sealed class EventStatsProjection : ITableProjection
{
    public const string ProjectionName = "EventStats";
    public static readonly PostgresqlObjectName Table = EventStoreSchema.TableNamed("event_stats");

    /// <summary>The read model: this projection, its table, how it is rebuilt (folded in memory) and erased.</summary>
    public static readonly TableReadModel ReadModel = new(ProjectionName, "Count, first and last per user and event name, for summaries and segments",
        Table.Name, [typeof(EventTracked), typeof(EventSummaryImported)], (shadow, _, _) => Accumulated(new EventStatsProjection(shadow)),
        keyedWhileFilled: true)
    {
        Projection = new EventStatsProjection(),
        Definition = Definition,
        ForgetTimeline = (connection, transaction, workspace, timelineId, cancellation) => Sql.ExecuteAsync(connection, transaction,
            $"delete from {Table.QualifiedName} where tenant_id = $1 and timeline_id = $2", cancellation, workspace, timelineId),
    };

    private readonly string upsertSql;

    /// <summary>The inline projection, into <see cref="Table"/>.</summary>
    public EventStatsProjection()
        : this(Table.QualifiedName)
    {
    }

    /// <summary>The same projection writing into another table of the same shape (a rebuild's copy).</summary>
    public EventStatsProjection(string target) => upsertSql =
        $"insert into {target} as s (tenant_id, timeline_id, name, count, first_at, last_at) " +
        "select * from unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::bigint[], ?::bigint[], ?::bigint[]) " +
        "on conflict (tenant_id, timeline_id, name) do update set count = s.count + excluded.count, " +
        "first_at = least(s.first_at, excluded.first_at), last_at = greatest(s.last_at, excluded.last_at)";

    /// <summary>The projection in a rebuild's bulk pass: stats merged in memory across pages, then upserted.</summary>
    private static AccumulatedCopy<StatsKey, EventStats> Accumulated(EventStatsProjection projection) => new(projection, Merge, projection.QueueUpsert);

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        Queue(operations, events);
        return Task.CompletedTask;
    }

    /// <summary>Merges the events per (workspace, user, name) and queues one upsert of the result.</summary>
    public void Queue(IDocumentOperations operations, IReadOnlyList<IEvent> events)
    {
        var merged = new Dictionary<StatsKey, EventStats>();
        Merge(events, merged);
        QueueUpsert(operations, merged);
    }

    /// <summary>Folds the events into per (workspace, user, name) stats, adding to what <paramref name="into"/> holds.</summary>
    public static void Merge(IEnumerable<IEvent> events, Dictionary<StatsKey, EventStats> into)
    {
        foreach (var @event in events)
        {
            var (timeline, name, stats) = @event.Data switch
            {
                EventTracked tracked => (tracked.TimelineId, tracked.Name, EventStats.Of(tracked)),
                // A summary of zero occurrences says nothing happened: it must not make the user a member of the segment.
                EventSummaryImported { Count: > 0 } imported => (imported.TimelineId, imported.Name, EventStats.Of(imported)),
                _ => default((string, string, EventStats?)),
            };
            if (stats is null)
            {
                continue;
            }

            var key = new StatsKey(@event.TenantId, timeline, name);
            into[key] = into.TryGetValue(key, out var sofar) ? sofar.Merge(stats) : stats;
        }
    }

    /// <summary>One atomic upsert of merged stats: counts add up, first is the least, last the greatest.</summary>
    public void QueueUpsert(IDocumentOperations operations, IReadOnlyDictionary<StatsKey, EventStats> merged)
    {
        if (merged.Count > 0)
        {
            operations.QueueSqlCommand(upsertSql,
                merged.Keys.Select(k => k.Workspace).ToArray(),
                merged.Keys.Select(k => k.Timeline).ToArray(),
                merged.Keys.Select(k => k.Name).ToArray(),
                merged.Values.Select(v => v.Count).ToArray(),
                merged.Values.Select(v => v.First).ToArray(),
                merged.Values.Select(v => v.Last).ToArray());
        }
    }

    /// <summary>The table, registered with Marten's schema objects so start-up and <c>db-apply</c> create and migrate it.</summary>
    public static Table Definition()
    {
        var table = new Table(Table);
        table.AddColumn<string>("tenant_id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("timeline_id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("name").NotNull().AsPrimaryKey();
        table.AddColumn<long>("count").NotNull();
        table.AddColumn<long>("first_at").NotNull();
        table.AddColumn<long>("last_at").NotNull();
        // Every event rewrites its row, and a row's update writes an entry into every index of the table: each index
        // here costs every event. first_at / last_at filters read the covering index by name instead (ADR 0013).
        table.Indexes.Add(new IndexDefinition("ix_event_stats_by_name") { Columns = ["tenant_id", "name", "timeline_id"], IncludeColumns = ["count", "first_at", "last_at"] });
        table.Indexes.Add(new IndexDefinition("ix_event_stats_by_count") { Columns = ["tenant_id", "name", "count"] });
        return table;
    }
}

/// <summary>The key of one row of <c>event_stats</c>.</summary>
public readonly record struct StatsKey(string Workspace, string Timeline, string Name);
