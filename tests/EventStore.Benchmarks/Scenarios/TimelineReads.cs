using System.Globalization;
using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// Scenario 5: the first timeline page of a heavy user and of a light user, on a store of many events over
/// 10,000 users; then scenario 7, the projection rebuild of that store with the API stopped.
/// </summary>
internal static class TimelineReads
{
    private const string HeavyUser = "heavy";
    private const string LightUser = "light";
    private const long FirstCreatedAt = 1_600_000_000;

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

            context.Results.PeakResidentBytes["API after the timeline reads"] = api.PeakResidentBytes();
        }

        await ProjectionRebuild.RunAsync(context, database, store, cancellation);
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
