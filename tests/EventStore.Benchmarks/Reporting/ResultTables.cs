using System.Globalization;
using EventStore.Benchmarks.Scenarios;

namespace EventStore.Benchmarks.Reporting;

/// <summary>The run's figures as tables, shared by the console summary and the Markdown report.</summary>
internal static class ResultTables
{
    public static TextTable Ingest(BenchmarkResults results)
    {
        var table = new TextTable(
            "concurrency", "A rows/s", "A p50 ms", "A p99 ms", "POST /events req/s", "p50 ms", "p99 ms", "÷ A",
            "B rows/s", "bulk events/s", "bulk p50 ms", "bulk p99 ms", "÷ B");
        var bulkMissing = results.BulkUnavailable is null ? "-" : "n/a";
        foreach (var point in results.Ingest)
        {
            table.Add(
                point.Concurrency.ToString(CultureInfo.InvariantCulture),
                Rate(point.BaselineA.RowsPerSecond),
                Milliseconds(point.BaselineA.P50Milliseconds),
                Milliseconds(point.BaselineA.P99Milliseconds),
                point.SingleAcceptedPerSecond is { } single ? Rate(single) : "-",
                point.SingleEvents is { } s ? Milliseconds(s.P50Milliseconds) : "-",
                point.SingleEvents is { } s99 ? Milliseconds(s99.P99Milliseconds) : "-",
                Ratio(point.SingleToBaselineA),
                Rate(point.BaselineB.RowsPerSecond),
                point.BulkAcceptedEventsPerSecond is { } bulk ? Rate(bulk) : bulkMissing,
                point.BulkEvents is { } b ? Milliseconds(b.P50Milliseconds) : bulkMissing,
                point.BulkEvents is { } b99 ? Milliseconds(b99.P99Milliseconds) : bulkMissing,
                point.BulkToBaselineB is null ? bulkMissing : Ratio(point.BulkToBaselineB));
        }

        return table;
    }

    public static TextTable Reads(BenchmarkResults results)
    {
        var table = new TextTable("request", "store", "concurrency", "req/s", "p50 ms", "p99 ms", "non-200");
        foreach (var read in results.Reads)
        {
            table.Add(
                read.Request,
                read.Store,
                read.Concurrency.ToString(CultureInfo.InvariantCulture),
                Rate(read.Result.RequestsPerSecond),
                Milliseconds(read.Result.P50Milliseconds),
                Milliseconds(read.Result.P99Milliseconds),
                (read.Result.UnexpectedResponses(200) + read.Result.SocketErrors).ToString("N0", CultureInfo.InvariantCulture));
        }

        return table;
    }

    public static TextTable Other(BenchmarkResults results)
    {
        var table = new TextTable("what", "figure", "detail");
        foreach (var rebuild in results.Rebuilds)
        {
            table.Add($"projection rebuild, {rebuild.When}", rebuild.Measured ? $"{Rate(rebuild.EventsPerSecond)} events/s" : "not measured", rebuild.Detail);
        }

        if (results.IssuedToken is { } issued)
        {
            table.Add($"POST /events at concurrency {issued.Concurrency} with an issued (es_…) token", $"{Rate(issued.IssuedPerSecond)} req/s",
                $"{Ratio(issued.IssuedPerSecond / issued.ConfiguredPerSecond)}x the configured token's {Rate(issued.ConfiguredPerSecond)} req/s in the phase before; p50 {Milliseconds(issued.Issued.P50Milliseconds)} ms");
        }

        if (results.EventCost is var (api, baseline))
        {
            table.Add($"CPU per event, POST /events at concurrency {IngestBenchmark.CostConcurrency}",
                $"API {Rate(api.ApiMicrosecondsPerEvent)} µs, PostgreSQL {Rate(api.PostgresMicrosecondsPerEvent)} µs",
                $"baseline A: PostgreSQL {Rate(baseline.PostgresMicrosecondsPerEvent)} µs per row; /proc counters of the API and of the database's postgres processes over the phase");
            table.Add($"events per transaction, POST /events at concurrency {IngestBenchmark.CostConcurrency}", Ratio(api.EventsPerTransaction),
                "events stored ÷ transactions the store's database ended in the phase (group commit; pg_stat_database)");
            table.Add($"WAL per event, POST /events at concurrency {IngestBenchmark.CostConcurrency}", $"{Rate(api.WalBytesPerEvent)} B",
                $"baseline A: {Rate(baseline.WalBytesPerEvent)} B per row ({Ratio(api.WalBytesPerEvent / baseline.WalBytesPerEvent)}x)");
        }

        if (results.TwoNodes is { } two)
        {
            table.Add($"POST /events at concurrency {two.Concurrency} over two API processes on one database", $"{Rate(two.AcceptedPerSecond)} req/s",
                $"{Ratio(two.AcceptedPerSecond / two.OneNodePerSecond)}x one node's {Rate(two.OneNodePerSecond)}, {Ratio(two.AcceptedPerSecond / two.BaselineA.RowsPerSecond)}x baseline A; " +
                $"per event: both APIs {Rate(two.Cost.ApiMicrosecondsPerEvent)} µs, PostgreSQL {Rate(two.Cost.PostgresMicrosecondsPerEvent)} µs of CPU, {Rate(two.Cost.WalBytesPerEvent)} B of WAL");
        }

        if (results.Disk is { } disk)
        {
            table.Add("disk per stored event (every table and index of the service)", $"{Rate(disk.StoreBytesPerEvent)} B",
                $"{disk.StoredEvents:N0} events in {disk.StoreBytes / 1024.0 / 1024.0:N0} MiB; the raw baseline table with its key: {Rate(disk.RawBytesPerRow)} B per row ({Ratio(disk.StoreBytesPerEvent / disk.RawBytesPerRow)}x)");
        }

        if (results.Startup is { } startup)
        {
            var starts = string.Join(", ", startup.Starts.Select(s => $"{s.TotalSeconds:0.00} s"));
            table.Add("API start-up to /health/ready = 200 (median)", $"{startup.Median.TotalSeconds:0.00} s",
                $"starts: {starts}; first start on an empty database (creates the schema): {startup.FirstStartOnEmptyDatabase.TotalSeconds:0.00} s");
        }

        foreach (var (what, bytes) in results.PeakResidentBytes)
        {
            table.Add($"peak resident memory (VmHWM), {what}", bytes is long b ? $"{b / 1024.0 / 1024.0:N0} MiB" : "unknown", string.Empty);
        }

        return table;
    }

    private static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture);

    private static string Milliseconds(double value) => double.IsNaN(value) ? "-" : value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Ratio(double? ratio) => ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "-";
}
