using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Scenarios;

namespace EventStore.Benchmarks.Reporting;

/// <summary>The four ingestion measurements at one concurrency; a null one was not measured.</summary>
internal sealed record IngestPoint(int Concurrency, RawInsertResult BaselineA, WrkResult? SingleEvents, RawInsertResult BaselineB, WrkResult? BulkEvents)
{
    public double? SingleAcceptedPerSecond => SingleEvents is { } single ? single.CountOf(202) / single.Duration.TotalSeconds : null;

    public double? BulkAcceptedEventsPerSecond => BulkEvents is { } bulk ? bulk.BulkAccepted / bulk.Duration.TotalSeconds : null;

    public double? SingleToBaselineA => SingleAcceptedPerSecond / BaselineA.RowsPerSecond;

    public double? BulkToBaselineB => BulkAcceptedEventsPerSecond / BaselineB.RowsPerSecond;
}

/// <summary>POST /events at one concurrency with an issued (<c>es_…</c>) token, beside the configured token's phase at the same concurrency.</summary>
internal sealed record IssuedTokenPoint(int Concurrency, WrkResult Issued, WrkResult Configured)
{
    public double IssuedPerSecond => Issued.CountOf(202) / Issued.Duration.TotalSeconds;

    public double ConfiguredPerSecond => Configured.CountOf(202) / Configured.Duration.TotalSeconds;
}

/// <summary>POST /events with the load split over two API processes on one database, beside one node at the same total concurrency.</summary>
internal sealed record TwoNodePoint(int Concurrency, WrkResult First, WrkResult Second, PhaseCost Cost, WrkResult OneNode, RawInsertResult BaselineA)
{
    public double AcceptedPerSecond => (First.CountOf(202) + Second.CountOf(202)) / First.Duration.TotalSeconds;

    public double OneNodePerSecond => OneNode.CountOf(202) / OneNode.Duration.TotalSeconds;
}

/// <summary>One read phase: a request kind at a concurrency.</summary>
internal sealed record ReadPoint(string Request, string Store, int Concurrency, WrkResult Result);

/// <summary>One timed <c>projections rebuild</c>; <paramref name="When"/> says what state the store was in.</summary>
internal sealed record RebuildResult(string When, bool Measured, long Events, TimeSpan Elapsed, string Detail)
{
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;
}

internal sealed record StartupResult(TimeSpan FirstStartOnEmptyDatabase, IReadOnlyList<TimeSpan> Starts)
{
    public TimeSpan Median => Starts.Order().ElementAt(Starts.Count / 2);
}

/// <summary>Everything one run measured, in the order it was measured.</summary>
internal sealed class BenchmarkResults
{
    public List<IngestPoint> Ingest { get; } = [];

    public List<ReadPoint> Reads { get; } = [];

    public List<CountCheck> CountChecks { get; } = [];

    /// <summary>Peak resident memory (VmHWM) per API process, by what it served.</summary>
    public Dictionary<string, long?> PeakResidentBytes { get; } = [];

    public List<string> Notes { get; } = [];

    public string? BulkUnavailable { get; set; }

    public List<RebuildResult> Rebuilds { get; } = [];

    public StartupResult? Startup { get; set; }

    public IssuedTokenPoint? IssuedToken { get; set; }

    /// <summary>What one event cost at <see cref="IngestBenchmark.CostConcurrency"/>: POST /events, and baseline A for one row.</summary>
    public (PhaseCost Api, PhaseCost BaselineA)? EventCost { get; set; }

    public DiskCost? Disk { get; set; }

    public TwoNodePoint? TwoNodes { get; set; }

    public void Note(string note)
    {
        Notes.Add(note);
        Console.WriteLine($"  NOTE: {note}");
    }

    public void Check(CountCheck check)
    {
        CountChecks.Add(check);
        Console.WriteLine(check.IsMismatch ? $"  !!! COUNT MISMATCH !!! {check.Describe()}" : $"  count check: {check.Describe()}");
    }
}
