using System.Globalization;
using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using EventStore.Benchmarks.Reporting;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// Scenario 5: the first timeline page of a heavy user and of a light user, on a store of many events over
/// 10,000 users, then the heavy user's while POST /events runs beside the reads; then scenario 7, the projection rebuild of that store with the API stopped.
/// </summary>
internal static class TimelineReads
{
    private const string HeavyUser = "heavy";
    private const string LightUser = "light";
    private const long FirstCreatedAt = 1_600_000_000;

    /// <summary>Concurrency of the POST /events load beside the reads of <see cref="ReadWhileIngestingAsync"/> (issue 12).</summary>
    private const int IngestionBeside = 8;

    public static async Task RunAsync(BenchmarkContext context, CancellationToken cancellation)
    {
        var options = context.Options;
        Console.WriteLine("== Timeline reads ==");
        var database = await context.Postgres.CreateFreshDatabaseAsync("eventstore_bench_timeline", cancellation);
        await using var store = NpgsqlDataSource.Create(database);
        var storeDescription = $"{options.TimelineStoreEvents:N0} events over {options.TimelineUsers:N0} users";
        await using (var api = await ApiProcess.StartAsync(context.Api, database, cancellation))
        {
            var bulkUnavailable = await BulkEndpoint.ProbeAsync(api.BaseAddress, context.Api.WorkspaceToken, cancellation);
            Console.WriteLine($"  seeding {storeDescription} (heavy user {options.HeavyUserEvents:N0}, light user {options.LightUserEvents})");
            var seeded = await Seeder.SeedAsync(
                api.BaseAddress, context.Api.WorkspaceToken, Events(options), options.TimelineStoreEvents, bulkUnavailable is null, cancellation);
            var stored = await EventStoreCounts.TrackedEventsAsync(store, cancellation);
            context.Results.Check(new CountCheck("timeline store seeding", seeded, stored, 0));

            foreach (var (user, events) in new[] { (HeavyUser, options.HeavyUserEvents), (LightUser, options.LightUserEvents) })
            {
                var request = $"GET /events?type=user&user_id={user}&per_page=50 ({events:N0} events)";
                var script = WrkScripts.Get(context.Api.WorkspaceToken, $"/events?type=user&user_id={user}&per_page=50");
                await ReadPhases.RunAsync(context, api, request, storeDescription, script, cancellation);
            }

            await ReadWhileIngestingAsync(context, api, storeDescription, cancellation);
            context.Results.PeakResidentBytes["API after the timeline reads"] = api.PeakResidentBytes();
        }

        await ProjectionRebuild.RunAsync(context, database, store, cancellation);
    }

    /// <summary>
    /// The heavy user's first page at each read concurrency while POST /events runs beside it at
    /// <see cref="IngestionBeside"/> (new and returning users), since that is how timelines are read.
    /// </summary>
    private static async Task ReadWhileIngestingAsync(BenchmarkContext context, ApiProcess api, string storeDescription, CancellationToken cancellation)
    {
        var options = context.Options;
        var token = context.Api.WorkspaceToken;
        foreach (var concurrency in options.ReadConcurrencies)
        {
            var request = $"GET /events?type=user&user_id={HeavyUser}&per_page=50 ({options.HeavyUserEvents:N0} events), POST /events at c={IngestionBeside} beside";
            var ingestion = Wrk.RunAsync(api.BaseAddress, WrkScripts.SingleEvents(token, context.NextPhaseBase(), options.TimelineUsers),
                IngestionBeside, options.PhaseDuration, context.WorkDirectory, cancellation);
            var reads = Wrk.RunAsync(api.BaseAddress, WrkScripts.Get(token, $"/events?type=user&user_id={HeavyUser}&per_page=50"),
                concurrency, options.PhaseDuration, context.WorkDirectory, cancellation);
            await Task.WhenAll(ingestion, reads);
            var (read, written) = (await reads, await ingestion);
            Console.WriteLine($"  {request,-60} c={concurrency,-3} {read.RequestsPerSecond,8:N0} req/s  p50 {read.P50Milliseconds:0.00} ms  p99 {read.P99Milliseconds:0.00} ms; " +
                $"beside it {written.CountOf(202) / written.Duration.TotalSeconds:N0} events/s");
            if (read.UnexpectedResponses(200) > 0 || read.SocketErrors > 0 || written.UnexpectedResponses(202) > 0 || written.SocketErrors > 0)
            {
                context.Results.Note($"{request} at concurrency {concurrency}: reads {read.DescribeStatuses()}, writes {written.DescribeStatuses()}");
            }

            context.Results.Reads.Add(new ReadPoint(request, storeDescription, concurrency, read));
        }
    }

    /// <summary>The heavy and light users' events, then the rest spread evenly over the other users.</summary>
    private static IEnumerable<SeedEvent> Events(BenchmarkOptions options)
    {
        foreach (var seed in UserEvents(HeavyUser, options.HeavyUserEvents))
        {
            yield return seed;
        }

        foreach (var seed in UserEvents(LightUser, options.LightUserEvents))
        {
            yield return seed;
        }

        var otherUsers = options.TimelineUsers - 2;
        var remaining = options.TimelineStoreEvents - options.HeavyUserEvents - options.LightUserEvents;
        for (var user = 0; user < otherUsers; user++)
        {
            var count = (remaining / otherUsers) + (user < remaining % otherUsers ? 1 : 0);
            foreach (var seed in UserEvents("t" + user.ToString(CultureInfo.InvariantCulture), count))
            {
                yield return seed;
            }
        }
    }

    private static IEnumerable<SeedEvent> UserEvents(string userId, int count) =>
        Enumerable.Range(0, count).Select(i => new SeedEvent(userId, SyntheticEvents.Name(i), FirstCreatedAt + i, SyntheticEvents.MetadataJson(i)));
}
