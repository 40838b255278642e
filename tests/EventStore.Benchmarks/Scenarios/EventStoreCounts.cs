using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>How many events the store really holds, to check the load generator's counts against.</summary>
internal static class EventStoreCounts
{
    private const string BusySessionsSql = """
        select count(*) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'
        """;

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(120);

    public static async Task<long> TrackedEventsAsync(NpgsqlDataSource store, CancellationToken cancellation) =>
        await CountAsync(store, "select count(*) from eventstore.mt_events where type = 'event_tracked'", cancellation);

    /// <summary>
    /// Every event of every type, without Marten's tombstones: placeholders it appends for the sequence numbers of a
    /// transaction that failed (here, group commits retried after a write conflict while the store was seeded).
    /// </summary>
    public static async Task<long> AllEventsAsync(NpgsqlDataSource store, CancellationToken cancellation) =>
        await CountAsync(store, "select count(*) from eventstore.mt_events where type <> 'tombstone'", cancellation);

    /// <summary>
    /// Requests in flight when wrk stopped are still committed by the API afterwards, a bulk request possibly seconds
    /// later: wait until no other session of the store's database is working or inside a transaction and the count
    /// has stopped moving, so neither this phase nor the next one is credited with the other's events.
    /// </summary>
    public static async Task<long> SettledTrackedEventsAsync(NpgsqlDataSource store, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + SettleTimeout;
        var previous = -1L;
        var quietChecks = 0;
        while (true)
        {
            var busy = await CountAsync(store, BusySessionsSql, cancellation);
            var current = await TrackedEventsAsync(store, cancellation);
            quietChecks = busy == 0 && current == previous ? quietChecks + 1 : 0;
            if (quietChecks >= 3)
            {
                return current;
            }

            if (DateTime.UtcNow > deadline)
            {
                Console.WriteLine($"  WARNING: the store was still busy {SettleTimeout.TotalSeconds:0} s after the phase; counting now.");
                return current;
            }

            previous = current;
            await Task.Delay(250, cancellation);
        }
    }

    private static async Task<long> CountAsync(NpgsqlDataSource store, string sql, CancellationToken cancellation)
    {
        await using var command = store.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(cancellation))!;
    }
}
