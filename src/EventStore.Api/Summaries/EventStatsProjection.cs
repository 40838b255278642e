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
/// and segments (by name, filtered on count / first / last), each through its own index. Inline, so
/// summaries read their own writes; each event is one atomic upsert, so concurrent writers never lose counts.
/// </summary>
public sealed partial class EventStatsProjection : EventProjection
{
    public const string ProjectionName = "EventStats";
    public static readonly PostgresqlObjectName Table = EventStoreSchema.TableNamed("event_stats");

    public EventStatsProjection()
    {
        Name = ProjectionName;
        var table = new Table(Table);
        table.AddColumn<string>("tenant_id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("timeline_id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("name").NotNull().AsPrimaryKey();
        table.AddColumn<long>("count").NotNull();
        table.AddColumn<long>("first_at").NotNull();
        table.AddColumn<long>("last_at").NotNull();
        table.Indexes.Add(new IndexDefinition("ix_event_stats_by_name") { Columns = ["tenant_id", "name", "timeline_id"], IncludeColumns = ["count", "first_at", "last_at"] });
        table.Indexes.Add(new IndexDefinition("ix_event_stats_by_count") { Columns = ["tenant_id", "name", "count"] });
        table.Indexes.Add(new IndexDefinition("ix_event_stats_by_first") { Columns = ["tenant_id", "name", "first_at"] });
        table.Indexes.Add(new IndexDefinition("ix_event_stats_by_last") { Columns = ["tenant_id", "name", "last_at"] });
        SchemaObjects.Add(table);
        Options.DeleteDataInTableOnTeardown(Table.QualifiedName);
    }

    public void Project(IEvent<EventTracked> @event, IDocumentOperations operations) =>
        Merge(operations, @event.TenantId, @event.Data.TimelineId, @event.Data.Name, EventStats.Of(@event.Data));

    public void Project(IEvent<EventSummaryImported> @event, IDocumentOperations operations)
    {
        // A summary of zero occurrences says nothing happened: it must not make the user a member of the segment.
        if (@event.Data.Count > 0)
        {
            Merge(operations, @event.TenantId, @event.Data.TimelineId, @event.Data.Name, EventStats.Of(@event.Data));
        }
    }

    private static void Merge(IDocumentOperations operations, string tenant, string timeline, string name, EventStats stats) =>
        operations.QueueSqlCommand(
            $"insert into {Table.QualifiedName} as s (tenant_id, timeline_id, name, count, first_at, last_at) values (?, ?, ?, ?, ?, ?) " +
            "on conflict (tenant_id, timeline_id, name) do update set count = s.count + excluded.count, " +
            "first_at = least(s.first_at, excluded.first_at), last_at = greatest(s.last_at, excluded.last_at)",
            tenant, timeline, name, stats.Count, stats.First, stats.Last);
}
