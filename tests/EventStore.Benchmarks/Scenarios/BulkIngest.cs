using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>Scenario 4: <c>POST /events/bulk</c> with 500 distinct events per request, counted against the store.</summary>
internal static class BulkIngest
{
    public static async Task<WrkResult> RunAsync(
        BenchmarkContext context, ApiProcess api, NpgsqlDataSource store, int concurrency, TimeSpan duration, bool recordCheck, CancellationToken cancellation)
    {
        var eventsPerRequest = context.Options.EventsPerBulkRequest;
        var before = await EventStoreCounts.SettledTrackedEventsAsync(store, cancellation);
        var script = WrkScripts.BulkEvents(context.Api.WorkspaceToken, context.NextPhaseBase(), context.Options.IngestUsers, eventsPerRequest);
        var result = await Wrk.RunAsync(api.BaseAddress, script, concurrency, duration, context.WorkDirectory, cancellation);
        var after = await EventStoreCounts.SettledTrackedEventsAsync(store, cancellation);
        if (result.UnexpectedResponses(200) > 0 || result.SocketErrors > 0 || result.BulkDuplicates > 0 || result.BulkRejected > 0)
        {
            context.Results.Note(
                $"POST /events/bulk at concurrency {concurrency}: {result.DescribeStatuses()}; duplicates {result.BulkDuplicates:N0}, rejected {result.BulkRejected:N0}");
        }

        if (recordCheck)
        {
            context.Results.Check(new CountCheck(
                $"POST /events/bulk, concurrency {concurrency}", result.BulkAccepted, after - before, (long)concurrency * eventsPerRequest));
        }

        return result;
    }
}
