using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>Scenario 3: <c>POST /events</c>, one distinct event per request, counted against the store.</summary>
internal static class SingleEventIngest
{
    public static async Task<WrkResult> RunAsync(
        BenchmarkContext context, ApiProcess api, NpgsqlDataSource store, int concurrency, TimeSpan duration, bool recordCheck, CancellationToken cancellation,
        string? token = null)
    {
        var before = await EventStoreCounts.SettledTrackedEventsAsync(store, cancellation);
        var script = WrkScripts.SingleEvents(token ?? context.Api.WorkspaceToken, context.NextPhaseBase(), context.Options.IngestUsers);
        var result = await Wrk.RunAsync(api.BaseAddress, script, concurrency, duration, context.WorkDirectory, cancellation);
        var after = await EventStoreCounts.SettledTrackedEventsAsync(store, cancellation);
        if (result.UnexpectedResponses(202) > 0 || result.SocketErrors > 0)
        {
            context.Results.Note($"POST /events at concurrency {concurrency}: responses other than 202: {result.DescribeStatuses()}");
        }

        if (recordCheck)
        {
            context.Results.Check(new CountCheck($"POST /events, concurrency {concurrency}{(token is null ? "" : ", issued token")}", result.CountOf(202), after - before, concurrency));
        }

        return result;
    }
}
