using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using EventStore.Benchmarks.Reporting;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// POST /events with the load split over two API processes on one database (half the connections each, the same
/// users), to show what a second node costs and gives on the same machine (issue 11: on 2 cores it cannot be faster).
/// </summary>
internal static class TwoNodeIngest
{
    public static async Task<TwoNodePoint> RunAsync(BenchmarkContext context, ApiProcess first, string storeDatabase, NpgsqlDataSource store,
        int concurrency, WrkResult oneNode, RawInsertResult baselineA, CancellationToken cancellation)
    {
        Console.WriteLine($"-- two nodes, concurrency {concurrency} split over both");
        await using var second = await ApiProcess.StartAsync(context.Api, storeDatabase, cancellation);
        // The second node warms up under load like the first did; no checkpoint after it, so that the phase's WAL is
        // not inflated by the full-page images every page's first change after a checkpoint writes.
        await SingleEventIngest.RunAsync(context, second, store, concurrency / 2, context.Options.SingleEventWarmUp, recordCheck: false, cancellation);

        var before = await EventStoreCounts.SettledTrackedEventsAsync(store, cancellation);
        var cost = await EventCost.StartAsync([first.Id, second.Id], store, cancellation);
        var token = context.Api.WorkspaceToken;
        var users = context.Options.IngestUsers;
        var results = await Task.WhenAll(
            Wrk.RunAsync(first.BaseAddress, WrkScripts.SingleEvents(token, context.NextPhaseBase(), users), concurrency / 2, context.Options.PhaseDuration, context.WorkDirectory, cancellation),
            Wrk.RunAsync(second.BaseAddress, WrkScripts.SingleEvents(token, context.NextPhaseBase(), users), concurrency / 2, context.Options.PhaseDuration, context.WorkDirectory, cancellation));
        var after = await EventStoreCounts.SettledTrackedEventsAsync(store, cancellation);
        var accepted = results.Sum(r => r.CountOf(202));
        context.Results.Check(new CountCheck($"POST /events over two nodes, concurrency {concurrency}", accepted, after - before, concurrency));
        var point = new TwoNodePoint(concurrency, results[0], results[1], await cost(accepted), oneNode, baselineA);
        Console.WriteLine($"  two nodes: {point.AcceptedPerSecond,10:N0} req/s ({point.AcceptedPerSecond / point.OneNodePerSecond:0.00}x one node)");
        return point;
    }
}
