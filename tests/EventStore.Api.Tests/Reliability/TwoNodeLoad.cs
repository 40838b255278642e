using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Telemetry;
using EventStore.Domain.Timelines;
using Marten;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// Two API processes on one database, taking a mixed load through both at once for a few seconds: single events
/// and bulk requests over the same users on both nodes (bulk items in random user order, so that group commits
/// of both nodes and both lanes touch the same streams in different orders), brand-new users and new event names
/// created on both nodes at the same moment, a user identified by email on one node and by user_id + email on the
/// other, the same event sent to both nodes at the same instant; and a poller per followed user walking its
/// timeline forward with <c>pages.since</c>, alternating nodes. Played once, by whichever test asks first.
/// </summary>
public sealed class TwoNodeLoad(PostgresServer postgres) : IAsyncLifetime
{
    public const string Workspace = "acme";
    public static readonly string[] FollowedUsers = ["followed-0", "followed-1", "followed-2", "followed-3"];
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <summary>How long after the last write a poller may take to be given every event (polls lag while transactions run).</summary>
    private static readonly TimeSpan CatchUpDeadline = TimeSpan.FromSeconds(30);
    private const int SharedUsers = 24;
    private static readonly string[] Names = ["viewed-page", "placed-order", "invited-friend", "opened-app"];

    private readonly Lock gate = new();
    private readonly ApiProcess?[] nodes = new ApiProcess?[2];
    private Task<TwoNodeRun>? run;
    private ServiceDatabase? database;
    private long clock = Scenarios.Now - (10 * 86_400);

    public string ConnectionString => database!.ConnectionString;

    public async ValueTask InitializeAsync() => database = await ServiceDatabase.CreateAsync(postgres, nameof(TwoNodeLoad));

    public ApiProcess Node(int index) => nodes[index] ?? throw new InvalidOperationException("The load has not been played");

    public Task<TwoNodeRun> Play(CancellationToken cancellation)
    {
        lock (gate)
        {
            return run ??= PlayAsync(cancellation);
        }
    }

    /// <summary>Every tracked event in the store, as (name, created_at) with the user_id of its timeline.</summary>
    public async Task<IReadOnlyList<(TrackedKey Key, string TimelineId)>> Stored() =>
        [.. (await database!.Store.TrackedIn(Workspace)).Select(e => (new TrackedKey(e.UserId ?? e.Email ?? "", e.Name, e.CreatedAt), e.TimelineId))];

    public Task<IReadOnlyList<UserTimeline>> Timelines() => database!.Store.TimelinesIn(Workspace);

    private long NextCreatedAt() => Interlocked.Increment(ref clock);

    private async Task<TwoNodeRun> PlayAsync(CancellationToken cancellation)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tracking:ActiveEventNameCap"] = "1000",
            // Two lanes per node (the default), small groups: more transactions, so more chances to interleave.
            ["Tracking:GroupCommit:MaxCommandsPerCommit"] = "200",
        };
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = ApiProcess.Start(ConnectionString, settings);
        }

        await Task.WhenAll(nodes.Select(n => n!.WaitUntilReadyAsync(Deadline)));
        using var a = nodes[0]!.Client();
        using var b = nodes[1]!.Client();
        HttpClient[] clients = [a, b];
        var log = new LoadLog();

        // Every user the load shares between nodes exists before it starts, so their events take the plain append.
        var seed = Enumerable.Range(0, SharedUsers).Select(u => $"shared-{u}").Concat(FollowedUsers)
            .Select(user => new TrackedKey(user, "signed-up", NextCreatedAt())).ToList();
        await log.BulkAsync(a, seed, cancellation);
        log.ServerErrors.ShouldBeEmpty("seeding the users");
        var deadlocksBefore = await DeadlocksAsync();

        using var stop = new CancellationTokenSource(LoadTime);
        var load = new List<Task>();
        for (var sender = 0; sender < 8; sender++)
        {
            var id = sender;
            load.Add(Task.Run(() => SinglesAsync(clients, log, id, stop.Token)));
        }

        for (var sender = 0; sender < 4; sender++)
        {
            var id = sender;
            load.Add(Task.Run(() => BulksAsync(clients, log, id, stop.Token)));
        }

        load.Add(Task.Run(() => RacesAsync(clients, log, stop.Token)));
        load.Add(Task.Run(() => RacesAsync(clients, log, stop.Token)));
        load.Add(Task.Run(() => FollowedAsync(clients, log, stop.Token)));
        var written = Task.WhenAll(load);
        var pollers = FollowedUsers.Select(user => Task.Run(() => PollAsync(clients, user, written))).ToList();

        await written.WaitAsync(Deadline);
        var polled = await Task.WhenAll(pollers).WaitAsync(Deadline);
        await RaceUntilAConflictIsCountedAsync(clients, log);
        var scrapes = await Task.WhenAll(clients.Select(client => Scrape.Take(client)));

        // Stopping the nodes ends their connections, and a backend reports its statistics when it ends.
        var errorLines = nodes.Select(n => n!.ErrorLines).ToList();
        foreach (var node in nodes)
        {
            await node!.KillAsync();
        }

        var deadlocksAfter = await DeadlocksAfterNodesLeftAsync();
        return new TwoNodeRun(log, FollowedUsers.Zip(polled).ToDictionary(p => p.First, p => p.Second),
            deadlocksAfter - deadlocksBefore, errorLines, scrapes);
    }

    /// <summary>Single events for the shared users, alternating nodes.</summary>
    private async Task SinglesAsync(HttpClient[] clients, LoadLog log, int sender, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var key = new TrackedKey($"shared-{Random.Shared.Next(SharedUsers)}", Names[(sender + n) % Names.Length], NextCreatedAt());
            await log.SingleAsync(clients[(sender + n) % 2], key);
        }
    }

    /// <summary>Bulk requests of 40 items over every shared user in a random order, alternating nodes.</summary>
    private async Task BulksAsync(HttpClient[] clients, LoadLog log, int sender, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var users = Enumerable.Range(0, SharedUsers).Select(u => $"shared-{u}").OrderBy(_ => Random.Shared.Next()).ToList();
            var items = Enumerable.Range(0, 40).Select(i => new TrackedKey(users[i % users.Count], Names[i % Names.Length], NextCreatedAt())).ToList();
            await log.BulkAsync(clients[(sender + n) % 2], items, CancellationToken.None);
        }
    }

    /// <summary>The same moment on both nodes: a duplicate, a brand-new user, email against user_id + email, a new name.</summary>
    private async Task RacesAsync(HttpClient[] clients, LoadLog log, CancellationToken stop)
    {
        for (var k = 0; !stop.IsCancellationRequested; k++)
        {
            var race = NextCreatedAt();
            var duplicate = new TrackedKey($"shared-{race % SharedUsers}", "raced-duplicate", race);
            var fresh = $"fresh-{race}";
            var person = $"person-{race}";
            var name = $"new-name-{race % 100}";
            await Task.WhenAll(
                log.SingleAsync(clients[0], duplicate),
                log.SingleAsync(clients[1], duplicate),
                log.SingleAsync(clients[0], new TrackedKey(fresh, "signed-up", NextCreatedAt())),
                log.SingleAsync(clients[1], new TrackedKey(fresh, "opened-app", NextCreatedAt())),
                log.SingleAsync(clients[0], new TrackedKey($"{person}@example.com", "signed-up", NextCreatedAt()), email: true),
                log.SingleAsync(clients[1], new TrackedKey(person, "opened-app", NextCreatedAt()), email: true),
                log.SingleAsync(clients[0], new TrackedKey($"shared-{race % SharedUsers}", name, NextCreatedAt())),
                log.SingleAsync(clients[1], new TrackedKey($"shared-{(race + 1) % SharedUsers}", name, NextCreatedAt())));
        }
    }

    /// <summary>
    /// On a busy machine the load's races may all have been won in turn: brand-new users then reach both nodes at once
    /// until one commit is counted as a lost race (bounded), so that what the metric counts is tested, not luck.
    /// </summary>
    private async Task RaceUntilAConflictIsCountedAsync(HttpClient[] clients, LoadLog log)
    {
        static double Conflicts(IEnumerable<Scrape> scrapes) =>
            scrapes.SelectMany(s => s.Samples).Where(s => s.Name == "eventstore_write_conflicts_total").Sum(s => s.Value);

        await Waits.Until(
            async () =>
            {
                if (Conflicts(await Task.WhenAll(clients.Select(client => Scrape.Take(client)))) > 0)
                {
                    return true;
                }

                var fresh = $"racer-{NextCreatedAt()}";
                await Task.WhenAll(
                    log.SingleAsync(clients[0], new TrackedKey(fresh, "signed-up", NextCreatedAt())),
                    log.SingleAsync(clients[1], new TrackedKey(fresh, "opened-app", NextCreatedAt())));
                return false;
            },
            TimeSpan.FromSeconds(30),
            "a commit to lose a race (the same new user's first events on both nodes at once)");
    }

    /// <summary>A steady trickle of events for the followed users, alternating nodes, some in bulk.</summary>
    private async Task FollowedAsync(HttpClient[] clients, LoadLog log, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var user = FollowedUsers[n % FollowedUsers.Length];
            if (n % 5 == 4)
            {
                var items = FollowedUsers.Concat(Enumerable.Range(0, 8).Select(u => $"shared-{u}")).OrderBy(_ => Random.Shared.Next())
                    .Select(u => new TrackedKey(u, "followed-bulk", NextCreatedAt())).ToList();
                await log.BulkAsync(clients[n % 2], items, CancellationToken.None);
            }
            else
            {
                await log.SingleAsync(clients[n % 2], new TrackedKey(user, Names[n % Names.Length], NextCreatedAt()));
            }
        }
    }

    /// <summary>
    /// Reads the user's newest page, then follows <c>pages.since</c> alternating nodes until every write of the load
    /// has been answered and the poller has been given as many events as the store holds for the user, or a deadline
    /// has passed since the last write (then the test shows what it was never given).
    /// </summary>
    private async Task<PollResult> PollAsync(HttpClient[] clients, string user, Task written)
    {
        var received = new List<TrackedKey>();
        var trace = new List<string>();
        var polls = 0;
        var emptyPolls = 0;
        var first = await GetAsync(clients[0], $"/events?type=user&user_id={user}&per_page=100");
        received.AddRange(first.Events);
        trace.Add($"first page: {first.Events.Count}");
        var since = first.Since;
        DateTime? givenUpAt = null;
        for (var n = 1; ; n++)
        {
            if (written.IsCompleted)
            {
                givenUpAt ??= DateTime.UtcNow + CatchUpDeadline;
                if (received.Distinct().Count() >= await StoredCountOfAsync(user) || DateTime.UtcNow > givenUpAt)
                {
                    break;
                }
            }

            var page = await GetAsync(clients[n % 2], since);
            trace.Add($"node {n % 2} -> {page.Events.Count} [{string.Join(",", page.Events.Select(e => e.CreatedAt))}]");
            polls++;
            received.AddRange(page.Events);
            since = page.Since;
            emptyPolls += page.Events.Count == 0 ? 1 : 0;
            if (page.Events.Count == 0)
            {
                await Task.Delay(written.IsCompleted ? 50 : 5, CancellationToken.None);
            }
        }

        return new PollResult(received, polls, emptyPolls, trace);
    }

    private async Task<int> StoredCountOfAsync(string user) => (await Stored()).Count(s => s.Key.UserId == user);

    private static async Task<(IReadOnlyList<TrackedKey> Events, string Since)> GetAsync(HttpClient client, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {ApiFixture.AcmeToken}");
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"GET {pathAndQuery}: {body}");
        var json = JsonNode.Parse(body)!;
        var events = json["events"]!.AsArray()
            .Select(e => new TrackedKey(e!["user_id"]!.GetValue<string>(), e["event_name"]!.GetValue<string>(), e["created_at"]!.GetValue<long>()))
            .ToList();
        return (events, new Uri(json["pages"]!["since"]!.GetValue<string>()).PathAndQuery);
    }

    private async Task<long> DeadlocksAsync()
    {
        await using var command = database!.DataSource.CreateCommand(
            "select deadlocks from pg_stat_database where datname = current_database()");
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private async Task<long> DeadlocksAfterNodesLeftAsync()
    {
        // On the database's own pool (one connection, the caller's): any other backend is a node's.
        await Waits.Until(
            async () =>
            {
                await using var command = database!.DataSource.CreateCommand(
                    $"select count(*) from pg_stat_activity where datname = current_database() and application_name <> '{ServiceDatabase.ApplicationName}'");
                return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))! == 0;
            },
            TimeSpan.FromSeconds(30),
            "the nodes' connections to close");
        return await DeadlocksAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}

/// <summary>What the load's clients sent and were told.</summary>
public sealed class LoadLog
{
    private readonly ConcurrentBag<TrackedKey> sent = [];
    private readonly ConcurrentBag<TrackedKey> acknowledged = [];
    private readonly ConcurrentBag<string> serverErrors = [];
    private readonly ConcurrentBag<string> refusals = [];

    public IReadOnlyCollection<TrackedKey> Sent => sent;

    public IReadOnlyCollection<TrackedKey> Acknowledged => acknowledged;

    /// <summary>5xx answers and failed connections.</summary>
    public IReadOnlyCollection<string> ServerErrors => serverErrors;

    /// <summary>4xx answers and refused bulk items.</summary>
    public IReadOnlyCollection<string> Refusals => refusals;

    /// <summary>POSTs one event; with <paramref name="email"/> the key's user is sent as an email (with a user_id when it has no @).</summary>
    public async Task SingleAsync(HttpClient client, TrackedKey key, bool email = false)
    {
        var body = email
            ? JsonSerializer.Serialize(Scenarios.Event(name: key.Name, createdAt: key.CreatedAt,
                userId: key.UserId.Contains('@', StringComparison.Ordinal) ? null : key.UserId,
                email: key.UserId.Contains('@', StringComparison.Ordinal) ? key.UserId : $"{key.UserId}@example.com"))
            : key.Json;
        sent.Add(key);
        var (status, text) = await PostAsync(client, "/events", body, "application/json");
        if (status == HttpStatusCode.Accepted)
        {
            acknowledged.Add(key);
        }
        else
        {
            Record(status, $"POST /events {key}: {(int?)status} {text}");
        }
    }

    public async Task BulkAsync(HttpClient client, IReadOnlyList<TrackedKey> items, CancellationToken cancellation)
    {
        var body = new StringBuilder();
        foreach (var item in items)
        {
            sent.Add(item);
            body.Append(item.Json).Append('\n');
        }

        var (status, text) = await PostAsync(client, "/events/bulk", body.ToString(), "application/x-ndjson", cancellation);
        if (status != HttpStatusCode.OK)
        {
            Record(status, $"POST /events/bulk: {(int?)status} {text}");
            return;
        }

        foreach (var result in JsonNode.Parse(text)!["results"]!.AsArray())
        {
            var index = result!["index"]!.GetValue<int>();
            if (result["status"]!.GetValue<string>() is "accepted" or "duplicate")
            {
                acknowledged.Add(items[index]);
            }
            else
            {
                refusals.Add($"bulk item {items[index]}: {result.ToJsonString()}");
            }
        }
    }

    private void Record(HttpStatusCode? status, string what)
    {
        if (status is null || (int)status >= 500)
        {
            serverErrors.Add(what);
        }
        else
        {
            refusals.Add(what);
        }
    }

    private static async Task<(HttpStatusCode? Status, string Body)> PostAsync(HttpClient client, string path, string body, string contentType, CancellationToken cancellation = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {ApiFixture.AcmeToken}");
        request.Headers.TryAddWithoutValidation("Intercom-Version", "2.14");
        try
        {
            using var response = await client.SendAsync(request, cancellation);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellation));
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return (null, $"{e.GetType().Name}: {e.Message}");
        }
    }
}

/// <summary>What one poller received by following <c>pages.since</c>.</summary>
public sealed record PollResult(IReadOnlyList<TrackedKey> Received, int Polls, int EmptyPolls, IReadOnlyList<string> Trace);

/// <summary>The load's outcome, for the tests to judge.</summary>
public sealed record TwoNodeRun(
    LoadLog Log,
    IReadOnlyDictionary<string, PollResult> Polled,
    long Deadlocks,
    IReadOnlyList<IReadOnlyList<string>> ErrorLines,
    IReadOnlyList<Scrape> Scrapes)
{
    public string Summary =>
        $"{Log.Sent.Count} events sent, {Log.Acknowledged.Count} acknowledged, {Log.Refusals.Count} refused, {Log.ServerErrors.Count} server errors; "
        + $"polls: {string.Join(", ", Polled.Select(p => $"{p.Key} {p.Value.Polls} ({p.Value.EmptyPolls} empty)"))}";
}
