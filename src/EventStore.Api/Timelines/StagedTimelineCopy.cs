using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace EventStore.Api.Timelines;

/// <summary>
/// <see cref="TimelineProjection"/> in a rebuild: the bulk pass stages its rows in an unlogged table without indexes
/// (<see cref="Stage"/>), and <see cref="CompleteAsync"/> moves them into the copy in one statement that looks up
/// their live positions with one hash join; per-row lookups were most of the database's work in a rebuild. Events
/// past the mark (<see cref="ApplyAsync"/>, in the switch) go straight into the copy.
/// </summary>
public sealed class StagedTimelineCopy(string target, string live, string sequence) : Marten.Events.Projections.IProjection
{
    private readonly TimelineProjection direct = TimelineProjection.RebuildingInto(target, live, sequence);
    private readonly TimelineProjection staging = TimelineProjection.StagingInto(StagingOf(target));

    public static string StagingOf(string copy) => $"{copy}_staging";

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation) =>
        direct.ApplyAsync(operations, events, cancellation);

    public void Stage(IDocumentOperations operations, IReadOnlyList<IEvent> events) => staging.Queue(operations, events);

    public async Task PrepareAsync(NpgsqlConnection connection, CancellationToken cancellation)
    {
        await Sql.ExecuteAsync(connection, null, $"drop table if exists {StagingOf(target)}", cancellation);
        await Sql.ExecuteAsync(connection, null, TimelineProjection.StagingDefinition(StagingOf(target)), cancellation);
    }

    /// <summary>Moves the staged rows into the copy and drops the staging table, in one transaction (so a retry starts over).</summary>
    public async Task CompleteAsync(NpgsqlConnection connection, CancellationToken cancellation)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        // Room for the join's hash table and the sort in memory (local to this transaction).
        await Sql.ExecuteAsync(connection, transaction, "set local work_mem = '256MB'", cancellation);
        await Sql.ExecuteAsync(connection, transaction, TimelineProjection.CopyFromStaging(StagingOf(target), target, live, sequence), cancellation);
        await Sql.ExecuteAsync(connection, transaction, $"drop table {StagingOf(target)}", cancellation);
        await transaction.CommitAsync(cancellation);
    }
}
