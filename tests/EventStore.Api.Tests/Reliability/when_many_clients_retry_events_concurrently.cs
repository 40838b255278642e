using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// 64 clients post at once to one hot user and to users they share with their neighbours, and every event is
/// sent two or three times: some copies at the same moment by different clients, some later by another client.
/// The load runs once per fixture; each test checks one consequence of it.
/// </summary>
public sealed class ConcurrentRetriesService(PostgresServer postgres) : ApiFixture(postgres)
{
    public const int Clients = 64;
    public static readonly string[] Names = ["viewed-page", "placed-order", "clicked-button", "opened-app", "sent-message", "paid-invoice"];
    public static readonly string[] Users = ["hot", .. Enumerable.Range(0, 16).Select(i => $"shared-{i}")];

    private readonly Lock gate = new();
    private Task<LoadRun>? load;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["RateLimits:RequestsPerWindow"] = "0" };

    /// <summary>The one load of this fixture, started by whichever test asks first.</summary>
    public Task<LoadRun> Load(CancellationToken cancellation)
    {
        lock (gate)
        {
            return load ??= RunAsync(cancellation);
        }
    }

    private async Task<LoadRun> RunAsync(CancellationToken cancellation)
    {
        var random = new Random(20261126);
        var start = Scenarios.Now - (30 * 86_400);
        var distinct = new HashSet<TrackedKey>();
        while (distinct.Count < 500)
        {
            // 40% of the events go to the hot user; created_at values collide across users and names on purpose.
            var user = random.Next(10) < 4 ? "hot" : Users[1 + random.Next(Users.Length - 1)];
            distinct.Add(new TrackedKey(user, Names[random.Next(Names.Length)], start + random.Next(200)));
        }

        // Copies of an event sit side by side (so neighbouring clients send them in the same round, concurrently);
        // for every other event the last copy is moved to a random place (a later, interleaved retry).
        var sends = new List<TrackedKey>();
        var late = new List<TrackedKey>();
        foreach (var (key, index) in distinct.OrderBy(_ => random.Next()).Select((key, index) => (key, index)))
        {
            var copies = random.Next(2, 4);
            for (var copy = 0; copy < copies; copy++)
            {
                (copy == copies - 1 && index % 2 == 1 ? late : sends).Add(key);
            }
        }

        foreach (var key in late)
        {
            sends.Insert(random.Next(sends.Count + 1), key);
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            using var http = Host.Server.CreateClient();
            var mine = new List<Sent>();
            for (var position = client; position < sends.Count; position += Clients)
            {
                mine.Add(await http.PostAsync(sends[position], cancellation: cancellation));
            }

            return mine;
        }));
        return new LoadRun([.. distinct], [.. responses.SelectMany(r => r)]);
    }

    public sealed record LoadRun(IReadOnlyList<TrackedKey> Distinct, IReadOnlyList<Sent> Responses);
}

public sealed class when_many_clients_retry_events_concurrently(ConcurrentRetriesService api) : IClassFixture<ConcurrentRetriesService>
{
    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task answers_every_copy_202()
    {
        var load = await api.Load(TestContext.Current.CancellationToken);

        var others = load.Responses.Where(r => !r.Acknowledged).ToList();
        others.ShouldBeEmpty($"every copy of a valid event must get 202 (conflicts are retried inside the service); {others.Count} of {load.Responses.Count} did not, e.g.:{Environment.NewLine}{string.Join(Environment.NewLine, others.Take(10))}");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task stores_every_distinct_event_exactly_once()
    {
        var load = await api.Load(TestContext.Current.CancellationToken);

        var stored = (await api.TrackedIn("acme")).Select(TrackedKey.Of).ToList();

        var acknowledged = load.Responses.Where(r => r.Acknowledged).Select(r => r.Key);
        var problems = ReliabilityScenarios.CompareWithStore(acknowledged, load.Distinct, stored).ToList();
        problems.AddRange(load.Distinct.Except(stored).Select(k => $"sent {load.Responses.Count(r => r.Key == k)} times but never stored: {k}"));
        problems.ShouldBeEmpty(ReliabilityScenarios.Describe(problems));
        stored.Count.ShouldBe(load.Distinct.Count, "one stored event per distinct event");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task summarises_each_user_exactly_as_the_stored_events_do()
    {
        await api.Load(TestContext.Current.CancellationToken);
        var stored = (await api.TrackedIn("acme")).Select(TrackedKey.Of).ToList();

        var problems = new List<string>();
        foreach (var user in ConcurrentRetriesService.Users)
        {
            var expected = Stats(stored.Where(k => k.UserId == user)).OrderBy(s => s.Name).ToList();
            var response = await api.Host.Get($"/events?type=user&user_id={user}&summary=true");
            response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
            var actual = response.Json["events"]!.AsArray()
                .Select(e => new NameStats(e!["name"]!.GetValue<string>(), e["count"]!.GetValue<long>(), Unix(e["first"]!.GetValue<string>()), Unix(e["last"]!.GetValue<string>())))
                .OrderBy(s => s.Name).ToList();
            if (!actual.SequenceEqual(expected))
            {
                problems.Add($"{user}: summary {string.Join(", ", actual)} but the store holds {string.Join(", ", expected)}");
            }
        }

        problems.ShouldBeEmpty(ReliabilityScenarios.Describe(problems));
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task lists_segment_members_exactly_as_the_stored_events_do()
    {
        await api.Load(TestContext.Current.CancellationToken);
        var stored = (await api.TrackedIn("acme")).Select(TrackedKey.Of).ToList();

        var problems = new List<string>();
        foreach (var name in ConcurrentRetriesService.Names)
        {
            var expected = stored.Where(k => k.Name == name).GroupBy(k => k.UserId)
                .Select(g => new Member(g.Key, g.LongCount(), g.Min(k => k.CreatedAt), g.Max(k => k.CreatedAt))).OrderBy(m => m.UserId).ToList();
            var response = await api.Host.Get($"/segments/{name}/users?per_page=100");
            response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
            var json = response.Json;
            json["pages"]?["next"].ShouldBeNull("17 users fit on one page of 100");
            var actual = json["users"]!.AsArray()
                .Select(u => new Member(u!["user_id"]!.GetValue<string>(), u["count"]!.GetValue<long>(), Unix(u["first"]!.GetValue<string>()), Unix(u["last"]!.GetValue<string>())))
                .OrderBy(m => m.UserId, StringComparer.Ordinal).ToList();
            expected = [.. expected.OrderBy(m => m.UserId, StringComparer.Ordinal)];
            if (!actual.SequenceEqual(expected))
            {
                problems.Add($"{name}: segment {string.Join(", ", actual)} but the store holds {string.Join(", ", expected)}");
            }

            if (json["total_count"]!.GetValue<long>() != expected.Count)
            {
                problems.Add($"{name}: total_count {json["total_count"]} but {expected.Count} users did it");
            }
        }

        problems.ShouldBeEmpty(ReliabilityScenarios.Describe(problems));
    }

    private static IEnumerable<NameStats> Stats(IEnumerable<TrackedKey> events) =>
        events.GroupBy(k => k.Name).Select(g => new NameStats(g.Key, g.LongCount(), g.Min(k => k.CreatedAt), g.Max(k => k.CreatedAt)));

    private static long Unix(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds();

    private sealed record NameStats(string Name, long Count, long First, long Last);

    private sealed record Member(string UserId, long Count, long First, long Last);
}
