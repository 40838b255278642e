using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Domain.Privacy;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace EventStore.Api.Segments;

/// <summary>
/// Builds <c>segment_changes</c>: per user, the id of the last transaction that changed what segments read of them (their
/// existence, their event_stats rows). Each node's <see cref="SegmentIndex"/> follows it: the rows whose transaction a
/// node's last snapshot did not see are the users to read again (ADR 0020). An erasure deletes the user's row, and its
/// audit event (<see cref="UserErased"/>) marks the workspace's own row (<see cref="Erasures"/>): nodes then drop the
/// users that no longer exist, and nothing of the erased user is left here.
/// </summary>
public sealed class SegmentChangesProjection : ITableProjection
{
    public const string ProjectionName = "SegmentChanges";
    public static readonly PostgresqlObjectName Table = EventStoreSchema.TableNamed("segment_changes");

    /// <summary>The timeline id of the workspace's row that each erasure marks: no service id is empty.</summary>
    public const string Erasures = "";

    /// <summary>The read model: this projection, its table, how it is rebuilt (folded in memory) and erased.</summary>
    public static readonly TableReadModel ReadModel = new(ProjectionName, "The last transaction that changed each user's segments, followed by every node's segment index",
        Table.Name, [typeof(UserTimelineStarted), typeof(EventTracked), typeof(EventSummaryImported), typeof(UserErased)],
        (shadow, _, _) => Accumulated(new SegmentChangesProjection(shadow)), keyedWhileFilled: true)
    {
        Projection = new SegmentChangesProjection(),
        Definition = Definition,
        ForgetTimeline = (connection, transaction, workspace, timelineId, cancellation) => Sql.ExecuteAsync(connection, transaction,
            $"delete from {Table.QualifiedName} where tenant_id = $1 and timeline_id = $2", cancellation, workspace, timelineId),
    };

    private readonly string upsertSql;

    /// <summary>The inline projection, into <see cref="Table"/>.</summary>
    public SegmentChangesProjection()
        : this(Table.QualifiedName)
    {
    }

    /// <summary>The same projection writing into another table of the same shape (a rebuild's copy).</summary>
    public SegmentChangesProjection(string target) => upsertSql = UpsertSql(target);

    /// <summary>
    /// Marks users changed by the current transaction: rows locked in key order (concurrent group commits never deadlock),
    /// and left alone when this transaction already marked them (Marten's path and the set-based appends share a transaction).
    /// </summary>
    private static string UpsertSql(string target) =>
        $"insert into {target} as c (tenant_id, timeline_id, tx) " +
        "select t, id, pg_current_xact_id() from unnest(?::varchar[], ?::varchar[]) as u(t, id) order by t, id " +
        "on conflict (tenant_id, timeline_id) do update set tx = excluded.tx where c.tx <> excluded.tx";

    private static AccumulatedCopy<(string Workspace, string Timeline), bool> Accumulated(SegmentChangesProjection projection) =>
        new(projection, Collect, projection.QueueUpsert);

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        Queue(operations, events);
        return Task.CompletedTask;
    }

    public void Queue(IDocumentOperations operations, IReadOnlyList<IEvent> events)
    {
        var users = new Dictionary<(string Workspace, string Timeline), bool>();
        Collect(events, users);
        QueueUpsert(operations, users);
    }

    /// <summary>The users the events change (started, tracked, given an imported summary), and the workspace's row for an erasure.</summary>
    public static void Collect(IEnumerable<IEvent> events, Dictionary<(string Workspace, string Timeline), bool> into)
    {
        foreach (var @event in events)
        {
            var timeline = @event.Data switch
            {
                UserTimelineStarted started => started.TimelineId,
                EventTracked tracked => tracked.TimelineId,
                EventSummaryImported imported => imported.TimelineId,
                UserErased => Erasures,
                _ => null,
            };
            if (timeline is not null)
            {
                into[(@event.TenantId, timeline)] = true;
            }
        }
    }

    private void QueueUpsert(IDocumentOperations operations, IReadOnlyDictionary<(string Workspace, string Timeline), bool> users)
    {
        if (users.Count > 0)
        {
            operations.QueueSqlCommand(upsertSql, users.Keys.Select(k => k.Workspace).ToArray(), users.Keys.Select(k => k.Timeline).ToArray());
        }
    }

    /// <summary>The table, registered with Marten's schema objects so start-up and <c>db-apply</c> create and migrate it.</summary>
    public static Table Definition()
    {
        var table = new Table(Table);
        table.AddColumn<string>("tenant_id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("timeline_id").NotNull().AsPrimaryKey();
        table.AddColumn("tx", "xid8").NotNull();
        // What a node's catch-up reads: a workspace's rows changed since its last snapshot's xmin.
        table.Indexes.Add(new IndexDefinition("ix_segment_changes_by_tx") { Columns = ["tenant_id", "tx"] });
        return table;
    }
}
