using System.Text.Json;
using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace EventStore.Api.Timelines;

/// <summary>
/// Builds <c>timeline_entries</c>: one row per tracked event, in the same transaction as the event
/// (inline), so a client that got 202 finds its event in the timeline. Two indexes serve the two
/// ways of reading a timeline: by time (newest first, walking back) and by arrival (polling forward).
/// A whole batch of events (a group commit, or a page of a rebuild) is written with one set-based
/// statement; rows are keyed by event id and inserted with ON CONFLICT DO NOTHING, so replays are harmless.
/// </summary>
public sealed class TimelineProjection : ITableProjection
{
    public const string ProjectionName = "Timeline";
    public static readonly PostgresqlObjectName Table = EventStoreSchema.TableNamed("timeline_entries");

    /// <summary>The read model: this projection, its table, how it is rebuilt (staged, then positioned) and erased.</summary>
    public static readonly TableReadModel ReadModel = new(ProjectionName, "Every tracked event of each user, for timelines (GET /events)",
        Table.Name, [typeof(EventTracked)], (shadow, live, sequence) => new StagedTimelineCopy(shadow, live, sequence!), keyedWhileFilled: false)
    {
        Projection = new TimelineProjection(),
        Definition = Definition,
        ForgetTimeline = (connection, transaction, workspace, timelineId, cancellation) => Sql.ExecuteAsync(connection, transaction,
            $"delete from {Table.QualifiedName} where tenant_id = $1 and timeline_id = $2", cancellation, workspace, timelineId),
    };

    private const string Arrays = "?::varchar[], ?::uuid[], ?::varchar[], ?::varchar[], ?::bigint[], ?::text[]";

    private const string Rows = $"from unnest({Arrays}) with ordinality as e(tenant_id, event_id, timeline_id, name, created_at, metadata, position) ";

    private readonly string insertSql;

    /// <summary>Whether rows carry the event's sequence (staged rows, whose positions are given at the end).</summary>
    private readonly bool withSequence;

    /// <summary>The inline projection, into <see cref="Table"/>.</summary>
    public TimelineProjection() => insertSql =
        $"insert into {Table.QualifiedName} (tenant_id, event_id, timeline_id, name, created_at, tx, metadata) " +
        "select e.tenant_id, e.event_id, e.timeline_id, e.name, e.created_at, pg_current_xact_id(), e.metadata::json " +
        Rows + "order by e.position on conflict do nothing";

    private TimelineProjection(string insertSql, bool withSequence = false)
    {
        this.insertSql = insertSql;
        this.withSequence = withSequence;
    }

    /// <summary>
    /// The same projection writing into a rebuild's copy of the table. An entry keeps the arrival position
    /// (<c>tx</c>, <c>seq</c>) it has in the live table, so polling cursors handed out before the rebuild
    /// neither repeat nor skip anything after it; an entry the live table lacks gets a new one.
    /// </summary>
    public static TimelineProjection RebuildingInto(string target, string live, string sequence) => new(
        $"insert into {target} (tenant_id, event_id, timeline_id, name, created_at, tx, seq, metadata) " +
        "select e.tenant_id, e.event_id, e.timeline_id, e.name, e.created_at, coalesce(l.tx, pg_current_xact_id()), " +
        $"coalesce(l.seq, nextval('{sequence}')), e.metadata::json " + Rows +
        $"left join {live} l on l.tenant_id = e.tenant_id and l.event_id = e.event_id order by e.position on conflict do nothing");

    /// <summary>
    /// The same rows, without their arrival positions, into a rebuild's staging table (no index, no WAL): the
    /// cheap half of a rebuild's bulk pass. <see cref="CopyFromStaging"/> then gives them their positions with one
    /// join against the live table, instead of one lookup per row.
    /// </summary>
    public static TimelineProjection StagingInto(string staging) => new(
        $"insert into {staging} (tenant_id, event_id, timeline_id, name, created_at, metadata, sequence) " +
        $"select * from unnest({Arrays}, ?::bigint[])", withSequence: true);

    /// <summary>The staging table <see cref="StagingInto"/> writes to.</summary>
    public static string StagingDefinition(string staging) =>
        $"create unlogged table {staging} (tenant_id varchar not null, event_id uuid not null, timeline_id varchar not null, " +
        "name varchar not null, created_at bigint not null, metadata text not null, sequence bigint not null)";

    /// <summary>
    /// Moves staged rows into a rebuild's copy with the positions they have in the live table (see
    /// <see cref="RebuildingInto"/>); rows the live table lacks get new positions in the events' order.
    /// </summary>
    public static string CopyFromStaging(string staging, string target, string live, string sequence) =>
        $"insert into {target} (tenant_id, event_id, timeline_id, name, created_at, tx, seq, metadata) " +
        "select s.tenant_id, s.event_id, s.timeline_id, s.name, s.created_at, coalesce(l.tx, pg_current_xact_id()), " +
        $"coalesce(l.seq, nextval('{sequence}')), s.metadata::json from {staging} s " +
        $"left join {live} l on l.tenant_id = s.tenant_id and l.event_id = s.event_id order by s.sequence";

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        Queue(operations, events);
        return Task.CompletedTask;
    }

    /// <summary>Queues the rows of the tracked events among <paramref name="events"/>, in one statement.</summary>
    public void Queue(IDocumentOperations operations, IReadOnlyList<IEvent> events)
    {
        var tracked = events.Where(e => e.Data is EventTracked).ToList();
        if (tracked.Count > 0)
        {
            object[] rows =
            [
                tracked.Select(e => e.TenantId).ToArray(),
                tracked.Select(e => e.Id).ToArray(),
                tracked.Select(e => ((EventTracked)e.Data).TimelineId).ToArray(),
                tracked.Select(e => ((EventTracked)e.Data).Name).ToArray(),
                tracked.Select(e => ((EventTracked)e.Data).CreatedAt).ToArray(),
                tracked.Select(e => WireMetadata(((EventTracked)e.Data).Metadata)).ToArray(),
            ];
            operations.QueueSqlCommand(insertSql, withSequence ? [.. rows, tracked.Select(e => e.Sequence).ToArray()] : rows);
        }
    }

    /// <summary>The table, registered with Marten's schema objects so start-up and <c>db-apply</c> create and migrate it.</summary>
    public static Table Definition()
    {
        var table = new Table(Table);
        table.AddColumn<string>("tenant_id").NotNull().AsPrimaryKey();
        table.AddColumn<Guid>("event_id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("timeline_id").NotNull();
        table.AddColumn<string>("name").NotNull();
        table.AddColumn<long>("created_at").NotNull();
        table.AddColumn<long>("seq").NotNull().BigAutoIncrement();
        // The inserting transaction: lets a poller read only what every earlier transaction has committed.
        table.AddColumn("tx", "xid8").NotNull();
        // json, not jsonb: metadata keys keep the order they were sent in.
        table.AddColumn("metadata", "json").NotNull();
        table.Indexes.Add(new IndexDefinition("ix_timeline_entries_by_time") { Columns = ["tenant_id", "timeline_id", "created_at", "seq"] });
        table.Indexes.Add(new IndexDefinition("ix_timeline_entries_by_arrival") { Columns = ["tenant_id", "timeline_id", "tx", "seq"] });
        return table;
    }

    /// <summary>Metadata as Intercom returns it: an object of typed values in the order they were sent.</summary>
    public static string WireMetadata(IReadOnlyList<MetadataEntry> metadata)
    {
        if (metadata.Count == 0)
        {
            return "{}";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var entry in metadata)
            {
                writer.WritePropertyName(entry.Key);
                entry.Value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
