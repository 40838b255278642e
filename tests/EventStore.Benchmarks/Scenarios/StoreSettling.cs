using System.Diagnostics;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// Brings a store that was just written to the state of one that has been running for a while, as pgbench does
/// before it measures: vacuumed and analyzed, and checkpointed, so that the next phase neither waits on autovacuum
/// nor pays for the checkpoint the writes before it made due.
/// </summary>
internal static class StoreSettling
{
    public static async Task<TimeSpan> SettleAsync(NpgsqlDataSource store, CancellationToken cancellation)
    {
        var settling = Stopwatch.StartNew();
        await using var connection = await store.OpenConnectionAsync(cancellation);
        foreach (var statement in new[] { "vacuum (analyze)", "checkpoint" })
        {
            await using var command = new NpgsqlCommand(statement, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(cancellation);
        }

        return settling.Elapsed;
    }
}
