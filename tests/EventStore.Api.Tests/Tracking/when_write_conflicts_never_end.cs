using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;

namespace EventStore.Api.Tests.Tracking;

public sealed class ContendedService(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "contended";
}

/// <summary>
/// A write conflict is resolved inside the service by deciding again (ADR 0009); one that never resolves (here every
/// commit of one user fails as a racing duplicate would) ends after the retries with a 503 and <c>Retry-After</c>:
/// nothing of it is stored, the requests it was grouped with are not held back, and the client's later retry works.
/// </summary>
public sealed class when_write_conflicts_never_end(ContendedService api) : IClassFixture<ContendedService>
{
    [Fact]
    public async Task answers_503_with_retry_after_after_its_retries_and_stores_nothing()
    {
        await using var conflict = await CommitFailures.ConflictWithEveryCommitOf(api, "contended-1");

        var response = await Post("contended-1", Scenarios.Now);

        ShouldBeRetryLater(response);
        (await api.TrackedIn(api.Workspace)).ShouldNotContain(e => e.UserId == "contended-1");
        var conflicts = await ConflictsCounted();
        conflicts.ShouldBeGreaterThan(1, "every conflict retried is counted in eventstore_write_conflicts_total");
    }

    [Fact]
    public async Task commits_the_requests_it_was_grouped_with()
    {
        await using var conflict = await CommitFailures.ConflictWithEveryCommitOf(api, "contended-2");
        var users = Enumerable.Range(0, 8).Select(i => $"grouped-{i}").Append("contended-2").ToList();
        Response[] responses;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            var sending = users.Select(user => Post(user, Scenarios.Now - 1)).ToList();
            await CommitQueue.WaitForPendingAsync(api.Host.Server.CreateClient(), api.Workspace, users.Count);
            await held.ReleaseAsync();
            responses = await Task.WhenAll(sending);
        }

        ShouldBeRetryLater(responses[^1]);
        responses[..^1].ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", responses.Select(r => $"{(int)r.Status} {r.Body}")));
        var stored = await api.TrackedIn(api.Workspace);
        users[..^1].ShouldAllBe(user => stored.Count(e => e.UserId == user) == 1, "each grouped request's event once");
    }

    [Fact]
    public async Task answers_a_summary_import_503_after_its_retries()
    {
        await using var conflict = await CommitFailures.ConflictWithEveryCommitOf(api, "contended-3");

        var response = await api.Host.Send(HttpMethod.Post, "/events/summaries",
            JsonSerializer.Serialize(new { user_id = "contended-3", event_summaries = new { event_name = "imported", count = 2, first = 1_600_000_000, last = 1_600_000_100 } }),
            api.Token);

        ShouldBeRetryLater(response);
        (await api.EventsIn(api.Workspace)).Select(e => e.Data).OfType<EventSummaryImported>().ShouldBeEmpty("nothing of the import is stored");
        (await api.TimelinesIn(api.Workspace)).ShouldNotContain(t => t.UserId == "contended-3");
    }

    [Fact]
    public async Task takes_the_event_once_the_race_is_over()
    {
        await using (await CommitFailures.ConflictWithEveryCommitOf(api, "contended-4"))
        {
            ShouldBeRetryLater(await Post("contended-4", 1_700_000_000));
        }

        (await Post("contended-4", 1_700_000_000)).Status.ShouldBe(HttpStatusCode.Accepted, "the client's retry");

        (await api.TrackedIn(api.Workspace)).Count(e => e.UserId == "contended-4").ShouldBe(1);
    }

    private Task<Response> Post(string user, long createdAt) =>
        api.Host.PostEvent(Scenarios.Event(name: "contended", userId: user, createdAt: createdAt), api.Token);

    private static void ShouldBeRetryLater(Response response)
    {
        response.ShouldBeError(HttpStatusCode.ServiceUnavailable, "service_unavailable");
        response.Headers.TryGetValue("Retry-After", out var retryAfter).ShouldBeTrue($"a 503 says when to retry: {response.Body}");
        int.TryParse(retryAfter, out var seconds).ShouldBeTrue(retryAfter);
        seconds.ShouldBeGreaterThan(0);
    }

    private async Task<double> ConflictsCounted()
    {
        var body = await api.Host.Server.CreateClient().GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return body.Split('\n').Where(l => l.StartsWith("eventstore_write_conflicts_total{", StringComparison.Ordinal) && l.Contains($"workspace=\"{api.Workspace}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
