using EventStore.Api.Hosting;
using Npgsql;

namespace EventStore.Api.Persistence;

/// <summary>
/// Analyzes each of the event store's tables once, as soon as it holds <see cref="Rows"/> rows, on the leader. Generic
/// plans cached while a new store's tables were empty scan them whole until PostgreSQL's statistics say otherwise, and
/// autovacuum first analyzes a table only a minute or more after it filled: a new installation ingested at a fraction of
/// its speed meanwhile (ADR 0012). Checks every two seconds while the node leads (one read of PostgreSQL's table
/// statistics); tables analyzed once are autovacuum's from then on.
/// </summary>
public sealed class FirstAnalyze(NpgsqlDataSource dataSource, ILogger<FirstAnalyze> logger) : ILeaderWork
{
    /// <summary>Enough rows for index plans to win, few enough to be reached in the first seconds of real load.</summary>
    public const int Rows = 1000;

    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    private static readonly string PendingSql =
        "select format('%I.%I', schemaname, relname) from pg_stat_user_tables " +
        "where schemaname = $1 and last_analyze is null and last_autoanalyze is null and n_live_tup >= $2";

    public string Name => "the first analyze of new tables";

    public async Task RunAsync(CancellationToken leadership)
    {
        try
        {
            while (true)
            {
                await AnalyzeFilledTablesAsync(leadership);
                await Task.Delay(CheckInterval, leadership);
            }
        }
        catch (OperationCanceledException) when (leadership.IsCancellationRequested)
        {
        }
    }

    /// <summary>Analyzes the tables that filled since the last check.</summary>
    private async Task AnalyzeFilledTablesAsync(CancellationToken cancellation)
    {
        try
        {
            var pending = await Sql.ListAsync(dataSource, PendingSql, reader => reader.GetString(0), cancellation,
                EventStoreSchema.SchemaName, Rows);
            foreach (var table in pending)
            {
                logger.LogInformation("Analyzing {Table}, filled since it was created", table);
                await using var analyze = dataSource.CreateCommand($"analyze {table}");
                await analyze.ExecuteNonQueryAsync(cancellation);
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(e, "Could not check the store's tables for a first analyze; trying again");
        }
    }
}
