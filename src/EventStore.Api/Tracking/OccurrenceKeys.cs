using EventStore.Api.Persistence;
using Marten;
using Marten.Services.BatchQuerying;
using Weasel.Postgresql.Tables;

namespace EventStore.Api.Tracking;

/// <summary>
/// The de-duplication keys of a workspace (ADR 0004): (user, name, created_at) of tracked events and the
/// identity of imported summaries. A plain table rather than a Marten document, so that a whole group
/// commit records its keys in one statement; the primary key is the guarantee (a racing duplicate fails
/// its transaction, which is then decided again and finds the key).
/// </summary>
public static class OccurrenceKeys
{
    public static readonly Weasel.Postgresql.PostgresqlObjectName Table = EventStoreSchema.TableNamed("occurrence_keys");

    private static readonly string FindSql = $"select id from {Table.QualifiedName} where tenant_id = ? and id = any(?)";

    private static readonly string InsertSql = $"insert into {Table.QualifiedName} (tenant_id, id) select ?, unnest(?::varchar[])";

    public static Table Definition()
    {
        var table = new Table(Table);
        table.AddColumn<string>("tenant_id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("id").NotNull().AsPrimaryKey();
        return table;
    }

    /// <summary>Which of these keys are already recorded in the session's workspace.</summary>
    public static async Task<IReadOnlyList<string>> FindAsync(IQuerySession session, IReadOnlyCollection<string> keys, CancellationToken cancellation) =>
        keys.Count == 0 ? [] : await session.AdvancedSql.QueryAsync<string>(FindSql, cancellation, session.TenantId, keys.ToArray());

    /// <summary>Queues the lookup of <see cref="FindAsync"/> on a batch (nothing when there is no key).</summary>
    public static Task<IReadOnlyList<string>> Find(IBatchedQuery batch, string workspace, IReadOnlyCollection<string> keys) =>
        keys.Count == 0 ? Task.FromResult<IReadOnlyList<string>>([]) : batch.Query<string>(FindSql, workspace, keys.ToArray());

    /// <summary>Records keys in the session's transaction, all in one statement.</summary>
    public static void Record(IDocumentSession session, IReadOnlyCollection<string> keys)
    {
        if (keys.Count > 0)
        {
            session.QueueSqlCommand(InsertSql, session.TenantId, keys.ToArray());
        }
    }
}
