using EventStore.Benchmarks.Orchestration;
using EventStore.Benchmarks.Reporting;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// Scenario 7: <c>dotnet EventStore.Api.dll projections rebuild</c> as a process with the API's environment,
/// timed from start to exit, twice: right after the store was seeded (its rows never read, autovacuum possibly
/// still busy with them), then once the store is settled the way a store that has been running is: vacuumed,
/// analyzed and checkpointed, as pgbench does before it measures. If the command fails, the first line of its
/// error is recorded.
/// </summary>
internal static class ProjectionRebuild
{
    public static async Task RunAsync(BenchmarkContext context, string database, NpgsqlDataSource store, CancellationToken cancellation)
    {
        Console.WriteLine("== Projection rebuild ==");
        context.Results.Rebuilds.Add(await TimeAsync(context, database, store, "right after seeding", cancellation));
        var settled = await StoreSettling.SettleAsync(store, cancellation);
        Console.WriteLine($"  store settled (vacuum (analyze), checkpoint) in {settled.TotalSeconds:0.0} s");
        context.Results.Rebuilds.Add(await TimeAsync(context, database, store, "settled store (after vacuum, checkpoint)", cancellation));
    }

    private static async Task<RebuildResult> TimeAsync(BenchmarkContext context, string database, NpgsqlDataSource store, string when, CancellationToken cancellation)
    {
        var events = await EventStoreCounts.AllEventsAsync(store, cancellation);
        var startInfo = context.Api.StartInfo(database, null, "projections", "rebuild");
        ProcessOutput run;
        try
        {
            run = await ProcessOutput.RunAsync(startInfo, context.Options.RebuildTimeout, cancellation);
        }
        catch (TimeoutException e)
        {
            return Report(new RebuildResult(when, false, events, context.Options.RebuildTimeout, $"not measured: {e.Message}"));
        }

        if (run.ExitCode != 0)
        {
            Console.WriteLine($"  projections rebuild exited with {run.ExitCode}; its output ends:{Environment.NewLine}{Tail(run.Output)}");
            return Report(new RebuildResult(when, false, events, run.Elapsed, $"not measured: exit code {run.ExitCode}: {FirstErrorLine(run)}"));
        }

        return Report(new RebuildResult(when, true, events, run.Elapsed, $"{events:N0} events (all types in mt_events but Marten's tombstones) in {run.Elapsed.TotalSeconds:0.0} s"));
    }

    private static RebuildResult Report(RebuildResult result)
    {
        Console.WriteLine(result.Measured ? $"  rebuild, {result.When}: {result.EventsPerSecond:N0} events/s, {result.Detail}" : $"  rebuild, {result.When}: {result.Detail}");
        return result;
    }

    private static string FirstErrorLine(ProcessOutput run)
    {
        var lines = (run.StandardError.Length > 0 ? run.StandardError : run.Output)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("rror", StringComparison.Ordinal))
            ?? lines.FirstOrDefault()
            ?? "(no output)";
    }

    private static string Tail(string output) =>
        string.Join(Environment.NewLine, output.Split('\n').TakeLast(30));
}
