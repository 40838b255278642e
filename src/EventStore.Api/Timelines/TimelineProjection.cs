using System.Text.Json;
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
/// Rows are keyed by event id and inserted with ON CONFLICT DO NOTHING, so replaying events is harmless.
/// </summary>
public sealed partial class TimelineProjection : EventProjection
{
    public const string ProjectionName = "Timeline";
    public static readonly PostgresqlObjectName Table = EventStoreSchema.TableNamed("timeline_entries");

    public TimelineProjection()
    {
        Name = ProjectionName;
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
        SchemaObjects.Add(table);
        Options.DeleteDataInTableOnTeardown(Table.QualifiedName);
    }

    public void Project(IEvent<EventTracked> @event, IDocumentOperations operations)
    {
        var tracked = @event.Data;
        operations.QueueSqlCommand(
            $"insert into {Table.QualifiedName} (tenant_id, event_id, timeline_id, name, created_at, tx, metadata) " +
            "values (?, ?, ?, ?, ?, pg_current_xact_id(), ?::json) on conflict do nothing",
            @event.TenantId, @event.Id, tracked.TimelineId, tracked.Name, tracked.CreatedAt, WireMetadata(tracked.Metadata));
    }

    /// <summary>Metadata as Intercom returns it: an object of typed values in the order they were sent.</summary>
    public static string WireMetadata(IReadOnlyList<MetadataEntry> metadata)
    {
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
