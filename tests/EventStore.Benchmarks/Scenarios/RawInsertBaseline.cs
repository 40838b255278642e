using System.Diagnostics;
using System.Text;
using EventStore.Benchmarks.Load;
using Npgsql;
using NpgsqlTypes;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>Rows per second and statement latency of one raw-PostgreSQL phase.</summary>
internal sealed record RawInsertResult(long Rows, TimeSpan Duration, double P50Milliseconds, double P99Milliseconds)
{
    public double RowsPerSecond => Rows / Duration.TotalSeconds;
}

/// <summary>
/// What PostgreSQL itself allows on this machine, measured from the harness with N concurrent Npgsql connections,
/// each inserting in autocommit: baseline A one event-shaped row per statement, baseline B 500 rows per statement.
/// The table has the shape of an event with our de-duplication key as its primary key.
/// </summary>
internal static class RawInsertBaseline
{
    private const string Table = "bench_events";

    public static async Task CreateTableAsync(NpgsqlDataSource dataSource, CancellationToken cancellation)
    {
        await using var command = dataSource.CreateCommand($"""
            create table {Table} (
                tenant_id text not null,
                user_id text not null,
                name text not null,
                created_at bigint not null,
                metadata jsonb not null,
                id uuid not null,
                primary key (tenant_id, user_id, name, created_at))
            """);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    public static async Task<RawInsertResult> RunAsync(
        NpgsqlDataSource dataSource, int concurrency, int rowsPerStatement, TimeSpan duration, long phaseBase, int users, CancellationToken cancellation)
    {
        var start = Stopwatch.GetTimestamp();
        var stopAt = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency)
            .Select(worker => InsertUntilAsync(dataSource, worker, concurrency, rowsPerStatement, stopAt, phaseBase, users, cancellation))
            .ToArray();
        var latencies = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new RawInsertResult(
            (long)all.Length * rowsPerStatement,
            elapsed,
            Percentiles.Of(all, 0.50),
            Percentiles.Of(all, 0.99));
    }

    private static async Task<List<double>> InsertUntilAsync(
        NpgsqlDataSource dataSource, int worker, int workers, int rowsPerStatement, long stopAt, long phaseBase, int users, CancellationToken cancellation)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var command = BuildInsert(connection, rowsPerStatement);
        await command.PrepareAsync(cancellation);
        var latencies = new List<double>();
        long statement = 0;
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            for (var row = 0; row < rowsPerStatement; row++)
            {
                var seq = worker + (((statement * rowsPerStatement) + row) * workers);
                var offset = row * 6;
                command.Parameters[offset].Value = "bench";
                command.Parameters[offset + 1].Value = SyntheticEvents.UserId(seq, users);
                command.Parameters[offset + 2].Value = SyntheticEvents.Name(seq);
                command.Parameters[offset + 3].Value = phaseBase + seq;
                command.Parameters[offset + 4].Value = SyntheticEvents.MetadataJson(seq);
                command.Parameters[offset + 5].Value = Guid.CreateVersion7();
            }

            var started = Stopwatch.GetTimestamp();
            await command.ExecuteNonQueryAsync(cancellation);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            statement++;
        }

        return latencies;
    }

    private static NpgsqlCommand BuildInsert(NpgsqlConnection connection, int rows)
    {
        var sql = new StringBuilder($"insert into {Table} (tenant_id, user_id, name, created_at, metadata, id) values ");
        var command = new NpgsqlCommand { Connection = connection };
        for (var row = 0; row < rows; row++)
        {
            var p = row * 6;
            sql.Append(row == 0 ? string.Empty : ", ").Append($"(${p + 1}, ${p + 2}, ${p + 3}, ${p + 4}, ${p + 5}, ${p + 6})");
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
        }

        command.CommandText = sql.ToString();
        return command;
    }
}
