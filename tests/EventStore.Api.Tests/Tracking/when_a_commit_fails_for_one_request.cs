using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace EventStore.Api.Tests.Tracking;

public sealed class FailingCommitService(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "failing";
}

/// <summary>
/// A failure at commit time that no rule foresaw (here PostgreSQL refusing every event of one user) fails only the
/// request that carries it: requests committed in the same group are committed again without it (ADR 0009), so
/// they are answered 202 and stored once, and the failed one gets a 5xx with nothing of it stored.
/// </summary>
public sealed class when_a_commit_fails_for_one_request(FailingCommitService api) : IClassFixture<FailingCommitService>
{
    private const int Neighbours = 16;

    [Fact]
    public async Task fails_that_request_alone_and_commits_the_others_of_its_group()
    {
        // Half the neighbours are known users (plain appends), half new ones, so that the group holds both kinds.
        for (var i = 0; i < Neighbours; i += 2)
        {
            (await Post($"neighbour-{i}", "signed-up", Scenarios.Now - 100)).Status.ShouldBe(HttpStatusCode.Accepted);
        }

        await using var failure = await CommitFailures.FailEveryCommitOf(api, "doomed");
        var (doomed, neighbours) = await CommitTogetherAsync("doomed", Enumerable.Range(0, Neighbours).Select(i => $"neighbour-{i}").ToList());

        doomed.ShouldBeServerFailure();
        neighbours.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", neighbours.Select(r => $"{(int)r.Status} {r.Body}")));
        var stored = await api.TrackedIn(api.Workspace);
        stored.ShouldNotContain(e => e.UserId == "doomed", "nothing of the failed request is stored");
        for (var i = 0; i < Neighbours; i++)
        {
            stored.Count(e => e.UserId == $"neighbour-{i}" && e.Name == "grouped").ShouldBe(1, $"neighbour-{i}'s event, once");
        }

        api.Logs.Entries.ShouldContain(l => l.Level == LogLevel.Warning && l.Message.Contains(api.Workspace, StringComparison.Ordinal),
            "the failed group is logged with its workspace (docs/security.md), which shows it was committed together with others");
    }

    [Fact]
    public async Task answers_a_bulk_request_with_a_failing_item_truthfully()
    {
        await using var failure = await CommitFailures.FailEveryCommitOf(api, "doomed-in-bulk");
        Response bulk;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            var sending = api.Host.Send(HttpMethod.Post, "/events/bulk", JsonSerializer.Serialize(new[]
            {
                Scenarios.Event(name: "bulk-item", userId: "bulk-neighbour-1"),
                Scenarios.Event(name: "bulk-item", userId: "doomed-in-bulk"),
                Scenarios.Event(name: "bulk-item", userId: "bulk-neighbour-2"),
            }), api.Token);
            await CommitQueue.WaitForPendingAsync(api.Host.Server.CreateClient(), api.Workspace, 3);
            await held.ReleaseAsync();
            bulk = await sending;
        }

        var stored = (await api.TrackedIn(api.Workspace)).Where(e => e.Name == "bulk-item").Select(e => e.UserId).ToList();
        stored.ShouldNotContain("doomed-in-bulk");
        if (bulk.Status == HttpStatusCode.OK)
        {
            // Items isolated one by one: each answer says what was stored.
            var results = bulk.Json["results"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()).ToList();
            results[1].ShouldNotBeOneOf("accepted", "duplicate");
            stored.ShouldBe(new[] { "bulk-neighbour-1", "bulk-neighbour-2" }.Where((_, i) => results[i * 2] == "accepted"), ignoreOrder: true, bulk.Body);
        }
        else
        {
            // The request failed as a whole: then none of it may be stored, or a retry would be told about events that exist.
            bulk.ShouldBeServerFailure();
            stored.ShouldBeEmpty("a failed bulk request stores none of its items");
        }
    }

    [Fact]
    public async Task takes_the_event_once_the_failure_is_gone()
    {
        await using (await CommitFailures.FailEveryCommitOf(api, "recovers"))
        {
            (await Post("recovers", "retried", 1_700_000_000)).ShouldBeServerFailure();
        }

        (await Post("recovers", "retried", 1_700_000_000)).Status.ShouldBe(HttpStatusCode.Accepted, "the client's retry");

        (await api.TrackedIn(api.Workspace)).Count(e => e.UserId == "recovers").ShouldBe(1);
    }

    [Fact]
    public async Task stores_nothing_of_a_known_users_failed_request_whose_commit_rode_with_its_writes()
    {
        (await Post("known-doomed", "first", 1_700_000_000)).Status.ShouldBe(HttpStatusCode.Accepted);
        await using (await CommitFailures.FailEveryCommitOf(api, "known-doomed"))
        {
            (await Post("known-doomed", "second", 1_700_000_001)).ShouldBeServerFailure();
        }

        (await api.TrackedIn(api.Workspace)).Where(e => e.UserId == "known-doomed").Select(e => e.Name).ShouldBe(["first"],
            "a plain append's group sends its COMMIT with its statements; the failing one stops the batch before it");
        (await Post("known-doomed", "second", 1_700_000_001)).Status.ShouldBe(HttpStatusCode.Accepted, "no occurrence key of the failed event was kept");
        (await api.TrackedIn(api.Workspace)).Count(e => e.UserId == "known-doomed").ShouldBe(2);
    }

    private Task<Response> Post(string user, string name, long createdAt) =>
        api.Host.PostEvent(Scenarios.Event(name: name, userId: user, createdAt: createdAt), api.Token);

    /// <summary>
    /// Sends the requests while commits are held, and releases them once every one waits for its commit: they are
    /// then committed in as few groups as the committer makes, the failing one among the others.
    /// </summary>
    private async Task<(Response Failing, IReadOnlyList<Response> Others)> CommitTogetherAsync(string failing, IReadOnlyList<string> others)
    {
        await using var held = await HeldCommits.HoldAsync(api);
        var users = others.Take(others.Count / 2).Append(failing).Concat(others.Skip(others.Count / 2)).ToList();
        var sending = users.Select(user => Post(user, "grouped", Scenarios.Now - 10)).ToList();
        await CommitQueue.WaitForPendingAsync(api.Host.Server.CreateClient(), api.Workspace, users.Count);
        await held.ReleaseAsync();
        var responses = await Task.WhenAll(sending);
        var index = users.IndexOf(failing);
        return (responses[index], [.. responses.Where((_, i) => i != index)]);
    }
}
