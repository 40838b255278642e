using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;

namespace EventStore.Api.Tracking;

/// <summary>
/// Appends the tracked events of a group commit that land on existing timelines and change nothing the rules
/// read (no identity change, so no version check) with one set-based statement for the whole group, instead
/// of Marten's append function called once per stream: the streams' versions are moved on in one UPDATE and the
/// events inserted in one INSERT, in decision order, with the rows Marten itself would write (same columns,
/// same serializer, same type names), so Marten reads them back like any other. The read models kept in tables of
/// our own (<see cref="ReadModels.Tables"/>) are applied to them here, in the same transaction, since Marten never sees them.
/// Callers lock the streams first (<see cref="StreamLocks"/>) or queue the <see cref="Privacy.ErasedTimelineGuard"/>:
/// a stream erased meanwhile fails the transaction as a conflict; a stream row missing for any other reason fails
/// it too (a NULL version), so an acknowledged event is never silently dropped.
/// </summary>
public static class TrackedEventAppends
{
    private static readonly string AppendSql =
        $"with moved as (update {EventStoreSchema.SchemaName}.mt_streams s set version = s.version + c.n, timestamp = now() " +
        "from (select stream, count(*) as n from unnest(?::varchar[]) as stream group by stream) c " +
        "where s.tenant_id = ? and s.id = c.stream returning s.id, s.version - c.n as base) " +
        $"insert into {EventStoreSchema.SchemaName}.mt_events " +
        "(seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
        $"select nextval('{EventStoreSchema.SchemaName}.mt_events_sequence'), e.id, e.stream, m.base + e.ordinal, e.data, ?, ?, now(), ?, false " +
        "from unnest(?::uuid[], ?::varchar[], ?::bigint[], ?::jsonb[]) with ordinality as e(id, stream, ordinal, data, position) " +
        "left join moved m on m.id = e.stream order by e.position";

    private static readonly string TypeName = typeof(EventTracked).GetEventTypeName();

    private static readonly string DotnetTypeName = $"{typeof(EventTracked).FullName}, {typeof(EventTracked).Assembly.GetName().Name}";

    /// <summary>Queues the appends and their projections on the session, after whatever is already queued.</summary>
    public static void Queue(IDocumentSession session, IReadOnlyList<(string Timeline, IReadOnlyList<EventTracked> Events)> appends)
    {
        var count = appends.Sum(a => a.Events.Count);
        if (count == 0)
        {
            return;
        }

        var serializer = session.DocumentStore.Options.Serializer();
        var ids = new Guid[count];
        var streams = new string[count];
        var ordinals = new long[count];
        var bodies = new string[count];
        var events = new List<IEvent>(count);
        var i = 0;
        foreach (var (timeline, tracked) in appends)
        {
            for (var n = 0; n < tracked.Count; n++, i++)
            {
                ids[i] = Guid.CreateVersion7();
                streams[i] = timeline;
                ordinals[i] = n + 1;
                bodies[i] = serializer.ToJson(tracked[n]);
                events.Add(new Event<EventTracked>(tracked[n]) { Id = ids[i], TenantId = session.TenantId, StreamKey = timeline });
            }
        }

        session.QueueSqlCommand(AppendSql, streams, session.TenantId, TypeName, session.TenantId, DotnetTypeName, ids, streams, ordinals, bodies);
        foreach (var model in ReadModels.Tables)
        {
            model.Projection.Queue(session, events);
        }
    }
}
