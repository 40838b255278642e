using System.Globalization;
using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using Npgsql;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// Scenario 6: a user's summary, one segment's users and a boolean segment search, over a store of many users
/// with a few events each under 3-5 of five names.
/// </summary>
internal static class SegmentReads
{
    private const string SearchBody =
        """{"query":{"and":[{"event_name":"placed-order","count_gt":2},{"event_name":"invited-friend","last_less_than_days_ago":30},{"not":{"event_name":"cancelled-plan"}}]},"per_page":50}""";

    private static readonly string[] Names = ["placed-order", "invited-friend", "cancelled-plan", "viewed-pricing", "signed-up"];

    public static async Task RunAsync(BenchmarkContext context, CancellationToken cancellation)
    {
        var options = context.Options;
        Console.WriteLine("== Summary and segment reads ==");
        var database = await context.Postgres.CreateFreshDatabaseAsync("eventstore_bench_segments", cancellation);
        await using var store = NpgsqlDataSource.Create(database);
        await using var api = await ApiProcess.StartAsync(context.Api, database, cancellation);
        var bulkUnavailable = await BulkEndpoint.ProbeAsync(api.BaseAddress, context.Api.WorkspaceToken, cancellation);
        var events = Events(options.SegmentUsers, DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ToList();
        var storeDescription = $"{options.SegmentUsers:N0} users, {events.Count:N0} events";
        Console.WriteLine($"  seeding {storeDescription}");
        var seeded = await Seeder.SeedAsync(api.BaseAddress, context.Api.WorkspaceToken, events, events.Count, bulkUnavailable is null, cancellation);
        context.Results.Check(new CountCheck("segment store seeding", seeded, await EventStoreCounts.TrackedEventsAsync(store, cancellation), 0));

        var token = context.Api.WorkspaceToken;
        await ReadPhases.RunAsync(
            context, api, "GET /events?type=user&user_id=<random>&summary=true", storeDescription,
            WrkScripts.GetForRandomUser(token, "/events?type=user&user_id=s", options.SegmentUsers, "&summary=true"), cancellation);
        await ReadPhases.RunAsync(
            context, api, "GET /segments/placed-order/users?count_gt=2&per_page=50", storeDescription,
            WrkScripts.Get(token, "/segments/placed-order/users?count_gt=2&per_page=50"), cancellation);
        await ReadPhases.RunAsync(
            context, api, "POST /segments/search (3 conditions, per_page 50)", storeDescription,
            WrkScripts.Post(token, "/segments/search", SearchBody), cancellation);
        context.Results.PeakResidentBytes["API after the segment reads"] = api.PeakResidentBytes();
    }

    /// <summary>
    /// Each user did 3-5 of the names, placed-order 1-5 times and the others once or twice, at distinct moments within
    /// the last 90 days, so every filter of the search matches some users and not others.
    /// </summary>
    private static IEnumerable<SeedEvent> Events(int users, long now)
    {
        var random = new Random(42);
        for (var user = 0; user < users; user++)
        {
            var userId = "s" + user.ToString(CultureInfo.InvariantCulture);
            var names = Names.OrderBy(_ => random.Next()).Take(random.Next(3, 6));
            foreach (var name in names)
            {
                var times = name == "placed-order" ? random.Next(1, 6) : random.Next(1, 3);
                var latest = now - 3_600 - random.Next(0, 90 * 86_400);
                for (var i = 0; i < times; i++)
                {
                    yield return new SeedEvent(userId, name, latest - (i * 3_600), SyntheticEvents.MetadataJson(i));
                }
            }
        }
    }
}
