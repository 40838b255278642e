using EventStore.Benchmarks.Orchestration;
using EventStore.Benchmarks.Reporting;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// Scenario 8 (start-up): process start to the first <c>GET /health/ready</c> = 200. The first start on an empty
/// database creates the schema and is reported apart; the figure is the median of the starts after it.
/// </summary>
internal static class StartupBenchmark
{
    public static async Task RunAsync(BenchmarkContext context, CancellationToken cancellation)
    {
        Console.WriteLine("== Start-up ==");
        var database = await context.Postgres.CreateFreshDatabaseAsync("eventstore_bench_startup", cancellation);
        var first = await StartOnceAsync(context, database, cancellation);
        Console.WriteLine($"  first start (creates the schema): {first.TotalSeconds:0.00} s");
        var starts = new List<TimeSpan>();
        for (var i = 0; i < context.Options.StartupRepetitions; i++)
        {
            starts.Add(await StartOnceAsync(context, database, cancellation));
            Console.WriteLine($"  start {i + 1}: {starts[^1].TotalSeconds:0.00} s");
        }

        context.Results.Startup = new StartupResult(first, starts);
    }

    private static async Task<TimeSpan> StartOnceAsync(BenchmarkContext context, string database, CancellationToken cancellation)
    {
        await using var api = await ApiProcess.StartAsync(context.Api, database, cancellation);
        return api.StartupTime;
    }
}
