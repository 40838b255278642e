namespace EventStore.Benchmarks;

/// <summary>Which scenario groups a run measures.</summary>
internal enum BenchmarkSuite
{
    All,
    Ingest,
    Reads,
    Startup,
}

/// <summary>What to measure and at which sizes; <c>--quick</c> shrinks every size for a smoke run.</summary>
internal sealed record BenchmarkOptions(BenchmarkSuite Suite, bool Quick, string? Connection, string CommandLine)
{
    public const string Usage =
        "usage: dotnet run -c Release --project tests/EventStore.Benchmarks -- <all|ingest|reads|startup> [--quick] [--connection \"<npgsql connection string>\"]";

    public IReadOnlyList<int> IngestConcurrencies { get; } = [1, 8, 32, 128];

    public IReadOnlyList<int> ReadConcurrencies { get; } = [1, 16];

    public TimeSpan PhaseDuration => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);

    /// <summary>
    /// Load before the ingestion phases. Under load, .NET's tiered JIT keeps recompiling the hot paths for about half
    /// a minute after start (POST /events at c=32 measured ≈1,300-1,800 requests/s after 5 s, ≈2,100-2,200 after
    /// 40 s, with the JIT's thread at a quarter of the API's CPU before): the phases measure the warmed service, as
    /// a server that has been running for a while.
    /// </summary>
    public TimeSpan SingleEventWarmUp => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(20);

    public TimeSpan BulkWarmUp => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);

    public int IngestUsers => 10_000;

    public int EventsPerBulkRequest => 500;

    public int TimelineStoreEvents => Quick ? 100_000 : 1_000_000;

    public int TimelineUsers => 10_000;

    public int HeavyUserEvents => Quick ? 10_000 : 100_000;

    public int LightUserEvents => 10;

    public int SegmentUsers => Quick ? 10_000 : 100_000;

    public int StartupRepetitions => 3;

    public TimeSpan RebuildTimeout => Quick ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(60);

    public bool Runs(BenchmarkSuite suite) => Suite == BenchmarkSuite.All || Suite == suite;

    public static BenchmarkOptions? Parse(string[] args)
    {
        BenchmarkSuite? suite = null;
        var quick = false;
        string? connection = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--connection" when i + 1 < args.Length:
                    connection = args[++i];
                    break;
                case var name when suite is null && Enum.TryParse<BenchmarkSuite>(name, ignoreCase: true, out var parsed):
                    suite = parsed;
                    break;
                default:
                    return null;
            }
        }

        // The connection string may hold a password, and the command line goes into the committed report.
        var shownArguments = args.Select((a, i) => i > 0 && args[i - 1] == "--connection" ? "\"<connection string>\"" : a);
        var commandLine = "dotnet run -c Release --project tests/EventStore.Benchmarks -- " + string.Join(' ', shownArguments);
        return suite is null ? null : new BenchmarkOptions(suite.Value, quick, connection, commandLine);
    }
}
