using System.Globalization;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>What a phase cost: CPU of the API process and of PostgreSQL's processes, WAL written, transactions ended in the database.</summary>
internal sealed record PhaseCost(TimeSpan ApiCpu, TimeSpan PostgresCpu, long WalBytes, long Transactions, long Events)
{
    /// <summary>Events per transaction: how many events a group commit carried on average.</summary>
    public double EventsPerTransaction => (double)Events / Math.Max(1, Transactions);

    public double ApiMicrosecondsPerEvent => ApiCpu.TotalMicroseconds / Events;

    public double PostgresMicrosecondsPerEvent => PostgresCpu.TotalMicroseconds / Events;

    public double WalBytesPerEvent => (double)WalBytes / Events;
}

/// <summary>Bytes on disk per stored row: the service's tables and indexes against the raw baseline table's.</summary>
internal sealed record DiskCost(long StoreBytes, long StoredEvents, long RawBytes, long RawRows)
{
    public double StoreBytesPerEvent => (double)StoreBytes / StoredEvents;

    public double RawBytesPerRow => (double)RawBytes / RawRows;
}

/// <summary>
/// CPU counters from <c>/proc</c> and PostgreSQL's WAL position, read before and after a phase. The API's processes; the
/// database's postmaster (found as the parent of a backend) with every child it has or had: its own counters, those of
/// its children still running, and those it collected from children that ended (a backend closed during the phase keeps
/// counting). When the postmaster is not on this machine, every process named <c>postgres</c> here.
/// </summary>
internal static class EventCost
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Starts counting; the function, called with the events the phase stored, gives its cost.</summary>
    public static async Task<Func<long, Task<PhaseCost>>> StartAsync(IReadOnlyList<int> apiProcessIds, NpgsqlDataSource database, CancellationToken cancellation)
    {
        var postmaster = await PostmasterAsync(database, cancellation);
        var api = CpuOf(apiProcessIds);
        var postgres = PostgresCpu(postmaster);
        var wal = await WalPositionAsync(database, cancellation);
        var transactions = await TransactionsAsync(database, cancellation);
        return async events =>
        {
            var walAfter = await WalPositionAsync(database, cancellation);
            return new PhaseCost(CpuOf(apiProcessIds) - api, PostgresCpu(postmaster) - postgres, walAfter - wal,
                await TransactionsAsync(database, cancellation) - transactions, Math.Max(1, events));
        };
    }

    /// <summary>Every table and index of the service's schema, and the raw table of the baselines.</summary>
    public static async Task<DiskCost> DiskAsync(NpgsqlDataSource store, long storedEvents, NpgsqlDataSource baseline, CancellationToken cancellation)
    {
        var storeBytes = await ScalarAsync(store,
            "select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint from pg_class c join pg_namespace n on n.oid = c.relnamespace " +
            "where n.nspname = 'eventstore' and c.relkind in ('r', 'm')", cancellation);
        var rawBytes = await ScalarAsync(baseline, "select pg_total_relation_size('bench_events')::bigint", cancellation);
        var rawRows = await ScalarAsync(baseline, "select count(*) from bench_events", cancellation);
        return new DiskCost(storeBytes, storedEvents, rawBytes, Math.Max(1, rawRows));
    }

    /// <summary>Transactions committed or rolled back in the database so far (backends report them within a second or so).</summary>
    private static async Task<long> TransactionsAsync(NpgsqlDataSource database, CancellationToken cancellation)
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5), cancellation);
        return await ScalarAsync(database,
            "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()", cancellation);
    }

    private static async Task<long> WalPositionAsync(NpgsqlDataSource database, CancellationToken cancellation) =>
        await ScalarAsync(database, "select (pg_current_wal_lsn() - '0/0')::bigint", cancellation);

    private static async Task<long> ScalarAsync(NpgsqlDataSource database, string sql, CancellationToken cancellation)
    {
        await using var command = database.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellation), CultureInfo.InvariantCulture);
    }

    private static TimeSpan CpuOf(IReadOnlyList<int> processIds) =>
        processIds.Aggregate(TimeSpan.Zero, (total, id) => total + Ticks($"/proc/{id}/stat"));

    /// <summary>The postmaster's process id if it runs on this machine: the parent of this connection's backend.</summary>
    private static async Task<int?> PostmasterAsync(NpgsqlDataSource database, CancellationToken cancellation)
    {
        var backend = await ScalarAsync(database, "select pg_backend_pid()", cancellation);
        var parent = Stat($"/proc/{backend}/stat") is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : (int?)null;
        return parent is { } id && ReadComm($"/proc/{id}") == "postgres" ? id : null;
    }

    private static TimeSpan PostgresCpu(int? postmaster)
    {
        var total = postmaster is { } own ? Ticks($"/proc/{own}/stat", withEndedChildren: true) : TimeSpan.Zero;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out _) && ReadComm(directory) == "postgres"
                && (postmaster is null || Stat(Path.Combine(directory, "stat")) is [_, var parent, ..] && parent == postmaster.Value.ToString(CultureInfo.InvariantCulture)))
            {
                total += Ticks(Path.Combine(directory, "stat"));
            }
        }

        return total;
    }

    private static string? ReadComm(string directory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(directory, "comm")).Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// utime + stime of a <c>/proc/…/stat</c> line (fields 14 and 15), plus cutime + cstime (16 and 17: children that
    /// ended and were waited for) when asked.
    /// </summary>
    private static TimeSpan Ticks(string statPath, bool withEndedChildren = false)
    {
        if (Stat(statPath) is not { } fields)
        {
            return TimeSpan.Zero;
        }

        var ticks = Enumerable.Range(11, withEndedChildren ? 4 : 2).Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>The fields of a <c>/proc/…/stat</c> line after the parenthesised name (state first, then the parent's id), or null when gone.</summary>
    private static string[]? Stat(string statPath)
    {
        try
        {
            var line = File.ReadAllText(statPath);
            return line[(line.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
