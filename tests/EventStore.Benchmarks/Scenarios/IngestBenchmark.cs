using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using EventStore.Benchmarks.Reporting;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// Scenarios 1-4 and the ingest API's peak memory: at each concurrency, baseline A, POST /events, baseline B and
/// POST /events/bulk one after the other, so each ratio compares phases measured minutes apart at most.
/// </summary>
internal static class IngestBenchmark
{
    private const int IssuedTokenConcurrency = 32;

    /// <summary>The concurrency at which CPU and WAL per event are measured (the one the targets name).</summary>
    public const int CostConcurrency = 32;

    public static async Task RunAsync(BenchmarkContext context, CancellationToken cancellation)
    {
        var options = context.Options;
        var results = context.Results;
        Console.WriteLine("== Ingestion ==");
        var baselineDatabase = await context.Postgres.CreateFreshDatabaseAsync("eventstore_bench_baseline", cancellation);
        await using var baseline = new NpgsqlDataSourceBuilder(baselineDatabase)
        {
            ConnectionStringBuilder = { MaxPoolSize = 200 },
        }.Build();
        await RawInsertBaseline.CreateTableAsync(baseline, cancellation);

        var storeDatabase = await context.Postgres.CreateFreshDatabaseAsync("eventstore_bench_ingest", cancellation);
        await using var store = NpgsqlDataSource.Create(storeDatabase);
        await using var api = await ApiProcess.StartAsync(context.Api, storeDatabase, cancellation);
        Console.WriteLine($"  API ready at {api.BaseAddress} after {api.StartupTime.TotalSeconds:0.00} s");
        results.BulkUnavailable = await BulkEndpoint.ProbeAsync(api.BaseAddress, context.Api.WorkspaceToken, cancellation);
        if (results.BulkUnavailable is not null)
        {
            results.Note($"bulk phases {results.BulkUnavailable}");
        }

        // JIT and connection pools warm (BenchmarkOptions.SingleEventWarmUp); these events are outside every measured
        // phase's count.
        await SingleEventIngest.RunAsync(context, api, store, 32, options.SingleEventWarmUp, recordCheck: false, cancellation);
        if (results.BulkUnavailable is null)
        {
            await BulkIngest.RunAsync(context, api, store, 8, options.BulkWarmUp, recordCheck: false, cancellation);
        }

        // The warm-up's writes leave autovacuum and a checkpoint due, which would land on the first phases.
        var settled = await StoreSettling.SettleAsync(store, cancellation);
        Console.WriteLine($"  warmed up; store settled (vacuum (analyze), checkpoint) in {settled.TotalSeconds:0.0} s");

        // Every measured phase starts from settled databases: otherwise autovacuum and the checkpoint due after one
        // phase's writes (1.2 million baseline rows in a phase of B) land on whichever phase comes next.
        async Task Settle()
        {
            await StoreSettling.SettleAsync(store, cancellation);
            await StoreSettling.SettleAsync(baseline, cancellation);
        }

        foreach (var concurrency in options.IngestConcurrencies)
        {
            var duration = options.PhaseDuration;
            Console.WriteLine($"-- concurrency {concurrency}");
            await Settle();
            var baselineCost = concurrency == CostConcurrency ? await EventCost.StartAsync([], baseline, cancellation) : null;
            var baselineA = await RawInsertBaseline.RunAsync(baseline, concurrency, 1, duration, context.NextPhaseBase(), options.IngestUsers, cancellation);
            var baselineACost = baselineCost is null ? null : await baselineCost(baselineA.Rows);
            Console.WriteLine($"  baseline A (1 row/statement):  {baselineA.RowsPerSecond,10:N0} rows/s  p50 {baselineA.P50Milliseconds:0.00} ms  p99 {baselineA.P99Milliseconds:0.00} ms");
            await Settle();
            var singleCost = concurrency == CostConcurrency ? await EventCost.StartAsync([api.Id], store, cancellation) : null;
            var single = await SingleEventIngest.RunAsync(context, api, store, concurrency, duration, recordCheck: true, cancellation);
            if (singleCost is not null && baselineACost is not null)
            {
                results.EventCost = (await singleCost(single.CountOf(202)), baselineACost);
                Console.WriteLine($"  cost per event: API {results.EventCost.Value.Api.ApiMicrosecondsPerEvent:N0} µs, PostgreSQL {results.EventCost.Value.Api.PostgresMicrosecondsPerEvent:N0} µs, WAL {results.EventCost.Value.Api.WalBytesPerEvent:N0} B (baseline A: {baselineACost.PostgresMicrosecondsPerEvent:N0} µs, {baselineACost.WalBytesPerEvent:N0} B)");
            }

            Console.WriteLine($"  POST /events:                  {single.CountOf(202) / single.Duration.TotalSeconds,10:N0} req/s   p50 {single.P50Milliseconds:0.00} ms  p99 {single.P99Milliseconds:0.00} ms");
            await Settle();
            var baselineB = await RawInsertBaseline.RunAsync(
                baseline, concurrency, options.EventsPerBulkRequest, duration, context.NextPhaseBase(), options.IngestUsers, cancellation);
            Console.WriteLine($"  baseline B (500 rows/stmt):    {baselineB.RowsPerSecond,10:N0} rows/s  p50 {baselineB.P50Milliseconds:0.00} ms  p99 {baselineB.P99Milliseconds:0.00} ms");
            WrkResult? bulk = null;
            if (results.BulkUnavailable is null)
            {
                await Settle();
                bulk = await BulkIngest.RunAsync(context, api, store, concurrency, duration, recordCheck: true, cancellation);
                Console.WriteLine($"  POST /events/bulk:             {bulk.BulkAccepted / bulk.Duration.TotalSeconds,10:N0} events/s p50 {bulk.P50Milliseconds:0.00} ms  p99 {bulk.P99Milliseconds:0.00} ms");
            }

            results.Ingest.Add(new IngestPoint(concurrency, baselineA, single, baselineB, bulk));
            if (concurrency == IssuedTokenConcurrency)
            {
                // The same load with a token issued at run time (cached per node) instead of a configured one.
                var token = await IssuedTokenPhase.CreateAsync(api, context.Api.AdminToken, cancellation);
                await Settle();
                var issued = await SingleEventIngest.RunAsync(context, api, store, concurrency, duration, recordCheck: true, cancellation, token);
                results.IssuedToken = new IssuedTokenPoint(concurrency, issued, single);
                Console.WriteLine($"  POST /events, issued token:    {results.IssuedToken.IssuedPerSecond,10:N0} req/s   p50 {issued.P50Milliseconds:0.00} ms  p99 {issued.P99Milliseconds:0.00} ms");
            }
        }

        if (results.Ingest.FirstOrDefault(point => point.Concurrency == CostConcurrency) is { SingleEvents: { } oneNode } point)
        {
            await Settle();
            results.TwoNodes = await TwoNodeIngest.RunAsync(context, api, storeDatabase, store, CostConcurrency, oneNode, point.BaselineA, cancellation);
        }

        results.PeakResidentBytes["API after the ingestion phases"] = api.PeakResidentBytes();
        results.Disk = await EventCost.DiskAsync(store, await EventStoreCounts.TrackedEventsAsync(store, cancellation), baseline, cancellation);
    }
}
