using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using EventStore.Benchmarks.Reporting;
using EventStore.Benchmarks.Scenarios;

namespace EventStore.Benchmarks;

/// <summary>One run: PostgreSQL up, API published, the chosen scenarios, then the table and the report.</summary>
internal static class BenchmarkRun
{
    public static async Task<int> RunAsync(BenchmarkOptions options, CancellationToken cancellation)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var repositoryRoot = FindRepositoryRoot();
        var workDirectory = Directory.CreateTempSubdirectory("eventstore-bench-").FullName;
        try
        {
            await using var postgres = await BenchmarkPostgres.StartAsync(options.Connection, cancellation);
            var deployment = await ApiDeployment.PublishAsync(repositoryRoot, workDirectory, cancellation);
            var context = new BenchmarkContext(options, postgres, deployment, workDirectory);

            if (options.Runs(BenchmarkSuite.Ingest))
            {
                await IngestBenchmark.RunAsync(context, cancellation);
            }

            if (options.Runs(BenchmarkSuite.Reads))
            {
                await TimelineReads.RunAsync(context, cancellation);
                await SegmentReads.RunAsync(context, cancellation);
            }

            if (options.Runs(BenchmarkSuite.Startup))
            {
                await StartupBenchmark.RunAsync(context, cancellation);
            }

            var results = context.Results;
            PrintSummary(results);
            var machine = MachineInfo.Read(await postgres.VersionAsync(cancellation), await Wrk.VersionAsync(cancellation));
            var reportDirectory = options.Suite == BenchmarkSuite.All
                ? Path.Combine(repositoryRoot, "docs")
                : Path.Combine(Path.GetTempPath(), "eventstore-benchmarks-" + options.Suite.ToString().ToLowerInvariant());
            ReportWriter.Write(reportDirectory, options, machine, postgres.Description, results, startedAt);
            Console.WriteLine($"Report written to {Path.Combine(reportDirectory, "benchmarks.md")}");

            var mismatches = results.CountChecks.Count(c => c.IsMismatch);
            if (mismatches > 0)
            {
                Console.WriteLine($"!!! {mismatches} COUNT MISMATCH(ES): the store does not hold what the load generator was told was accepted. See above. !!!");
                return 1;
            }

            return 0;
        }
        finally
        {
            ChildProcesses.KillAll();
            Directory.Delete(workDirectory, recursive: true);
        }
    }

    private static void PrintSummary(BenchmarkResults results)
    {
        Console.WriteLine();
        if (results.Ingest.Count > 0)
        {
            Console.WriteLine("Ingestion (A, B: raw PostgreSQL rows/s; ÷ A, ÷ B: API events/s over the baseline at the same concurrency)");
            Console.WriteLine(ResultTables.Ingest(results).ToConsole());
        }

        if (results.Reads.Count > 0)
        {
            Console.WriteLine("Reads");
            Console.WriteLine(ResultTables.Reads(results).ToConsole());
        }

        Console.WriteLine(ResultTables.Other(results).ToConsole());
        foreach (var check in results.CountChecks)
        {
            Console.WriteLine((check.IsMismatch ? "!!! " : "    ") + check.Describe());
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EventStore.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run the benchmark from inside the repository (EventStore.sln not found above the current folder).");
    }
}
