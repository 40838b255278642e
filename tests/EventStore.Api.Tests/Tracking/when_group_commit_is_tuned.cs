using System.Globalization;
using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

/// <summary>One group-commit lane that commits at most three commands per transaction.</summary>
public sealed class OneLaneOfThree(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "one-lane";

    protected override IReadOnlyDictionary<string, string> MoreSettings => new Dictionary<string, string>
    {
        ["Tracking:GroupCommit:Committers"] = "1",
        ["Tracking:GroupCommit:MaxCommandsPerCommit"] = "3",
    };
}

/// <summary>Four group-commit lanes, one command per transaction.</summary>
public sealed class FourLanesOfOne(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "four-lanes";

    protected override IReadOnlyDictionary<string, string> MoreSettings => new Dictionary<string, string>
    {
        ["Tracking:GroupCommit:Committers"] = "4",
        ["Tracking:GroupCommit:MaxCommandsPerCommit"] = "1",
    };
}

public sealed class when_one_committer_commits_at_most_three_commands_at_a_time(OneLaneOfThree api) : IClassFixture<OneLaneOfThree>
{
    [Fact]
    public async Task commits_thirteen_queued_requests_in_five_transactions()
    {
        // All queued behind the first transaction, which takes the 1 to 3 commands there when it starts: the other
        // 10 to 12 then go by threes, through the one lane, whatever their users.
        var transactions = await GroupCommitLoad.TransactionsToCommitQueuedAsync(api, 13);

        transactions.ShouldBe(5);
    }

    [Fact]
    public async Task stores_a_concurrent_mixed_load_exactly_once() => await GroupCommitLoad.ShouldStoreExactlyOnceAsync(api);
}

public sealed class when_four_committers_commit_one_command_at_a_time(FourLanesOfOne api) : IClassFixture<FourLanesOfOne>
{
    [Fact]
    public async Task commits_each_queued_request_in_a_transaction_of_its_own()
    {
        var transactions = await GroupCommitLoad.TransactionsToCommitQueuedAsync(api, 12);

        transactions.ShouldBe(12);
        // The first command of each lane admits the new event name at the same moment: three lose that race.
        api.Logs.Entries.Where(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error).ShouldBeEmpty("a race the service resolves by deciding again is no error");
    }

    [Fact]
    public async Task stores_a_concurrent_mixed_load_exactly_once() => await GroupCommitLoad.ShouldStoreExactlyOnceAsync(api);
}

/// <summary>What the group-commit settings must not change (every answer true, every event once) and what they do (transactions).</summary>
public static class GroupCommitLoad
{
    /// <summary>
    /// Queues <paramref name="requests"/> events of as many new users behind held commits, releases them, and returns how
    /// many transactions committed them: the count of <c>eventstore.append.duration</c> (one per group-commit transaction)
    /// with the outcome <c>committed</c> (a transaction that lost a race and was decided again is not one of them), of
    /// the fixture's own workspace, which nothing else writes to.
    /// </summary>
    public static async Task<long> TransactionsToCommitQueuedAsync(OwnWorkspaceFixture api, int requests)
    {
        var client = api.Host.Server.CreateClient();
        Response[] responses;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            var sending = Enumerable.Range(0, requests)
                .Select(i => api.Host.PostEvent(Scenarios.Event(name: "queued", userId: $"queued-{i}"), api.Token)).ToList();
            await CommitQueue.WaitForPendingAsync(client, api.Workspace, requests);
            await held.ReleaseAsync();
            responses = await Task.WhenAll(sending);
        }

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", responses.Select(r => $"{(int)r.Status} {r.Body}")));
        // Every commit was counted before its requests were answered, but a scrape may be served from the exporter's
        // cache of a few hundred milliseconds: read until two scrapes half a second apart agree.
        long previous = -1, current = 0;
        await Waits.Until(async () =>
        {
            previous = current;
            await Task.Delay(500, TestContext.Current.CancellationToken);
            current = await TransactionsAsync(client, api.Workspace);
            return current > 0 && current == previous;
        }, TimeSpan.FromSeconds(20), "the count of commits to settle");
        return current;
    }

    /// <summary>
    /// Concurrent single events and bulk requests over ten users of acme, a third of them repeats: every answer is 202
    /// (or accepted / duplicate), every distinct event is stored once, and each user has one timeline.
    /// </summary>
    public static async Task ShouldStoreExactlyOnceAsync(ApiFixture api)
    {
        var distinct = Enumerable.Range(0, 60).Select(i => (User: $"mixed-{i % 10}", Name: $"step-{i % 4}", CreatedAt: Scenarios.Now - 1000 + i)).ToList();
        var singles = distinct.Concat(distinct.Where((_, i) => i % 3 == 0))
            .Select(e => api.Host.PostEvent(Scenarios.Event(name: e.Name, userId: e.User, createdAt: e.CreatedAt)));
        var bulks = distinct.Chunk(15).Select(chunk => api.Host.Send(HttpMethod.Post, "/events/bulk",
            JsonSerializer.Serialize(chunk.Select(e => Scenarios.Event(name: e.Name, userId: e.User, createdAt: e.CreatedAt)))));

        var responses = await Task.WhenAll(singles.Concat(bulks));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted || r.Status == HttpStatusCode.OK, string.Join(" | ", responses.Select(r => $"{(int)r.Status} {r.Body}")));
        responses.Where(r => r.Status == HttpStatusCode.OK).SelectMany(r => r.Json["results"]!.AsArray())
            .ShouldAllBe(r => r!["status"]!.GetValue<string>() == "accepted" || r["status"]!.GetValue<string>() == "duplicate");
        var stored = (await api.TrackedIn("acme")).Where(e => e.UserId!.StartsWith("mixed-", StringComparison.Ordinal)).ToList();
        stored.Select(e => (e.UserId!, e.Name, e.CreatedAt)).ShouldBe(distinct, ignoreOrder: true, "every distinct event once");
        stored.GroupBy(e => e.UserId).ShouldAllBe(g => g.Select(e => e.TimelineId).Distinct().Count() == 1, "one timeline per user");
    }

    private static async Task<long> TransactionsAsync(HttpClient client, string workspace)
    {
        var body = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return body.Split('\n')
            .Where(l => l.StartsWith("eventstore_append_duration_seconds_count{", StringComparison.Ordinal)
                && l.Contains($"workspace=\"{workspace}\"", StringComparison.Ordinal) && l.Contains("outcome=\"committed\"", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
