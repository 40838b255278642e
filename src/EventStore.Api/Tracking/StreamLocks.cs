using EventStore.Api.Persistence;
using Marten.Services.BatchQuerying;

namespace EventStore.Api.Tracking;

/// <summary>
/// Row locks on the existing streams a group commit writes to, taken first in its transaction and in one
/// global order (by stream id). Every later write of the transaction (versions, events, de-duplication keys,
/// read-model rows) concerns those streams, so concurrent groups (two lanes, two nodes) queue on the first
/// stream they share instead of deadlocking, and what the group reads after the locks cannot change before
/// it commits: a racing duplicate is found as a duplicate instead of failing the commit.
/// </summary>
public static class StreamLocks
{
    private static readonly string LockSql =
        $"select id from {EventStoreSchema.SchemaName}.mt_streams where tenant_id = ? and id = any(?::varchar[]) order by id for no key update";

    /// <summary>Queues the locks on the batch (nothing when there is no stream); completes with the streams that exist.</summary>
    public static Task<IReadOnlyList<string>> Lock(IBatchedQuery batch, string workspace, IReadOnlyCollection<string> streams) =>
        streams.Count == 0
            ? Task.FromResult<IReadOnlyList<string>>([])
            : batch.Query<string>(LockSql, workspace, streams.Order(StringComparer.Ordinal).ToArray());

    /// <summary>A timeline read before the locks but gone when they were taken was erased meanwhile: decide again.</summary>
    public static void Require(IReadOnlyCollection<string> timelines, IReadOnlySet<string> locked)
    {
        var erased = timelines.Count(timeline => !locked.Contains(timeline));
        if (erased > 0)
        {
            throw new WriteConflictException($"{erased} timeline(s) were erased while the group was decided");
        }
    }
}
