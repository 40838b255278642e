using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Protection;

/// <summary>A service whose retries wait one second for a request in progress with their key.</summary>
public sealed class ShortWaitForInProgress(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Idempotency:WaitForInProgress"] = "00:00:01" };
}

/// <summary>A service that takes over a claim left in progress for one second, as if its node had died.</summary>
public sealed class QuickAbandon(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "abandon";

    protected override IReadOnlyDictionary<string, string> MoreSettings => new Dictionary<string, string> { ["Idempotency:AbandonedAfter"] = "00:00:01" };
}

/// <summary>
/// What docs/security.md promises of a key whose first request has not finished: a retry waits for it, then gets
/// 409 naming the header; a first request that fails with a 5xx gives its key up, so the retry runs again. The
/// first request is kept in progress by holding its commit.
/// </summary>
public sealed class when_an_idempotency_key_is_in_progress(ShortWaitForInProgress api) : IClassFixture<ShortWaitForInProgress>
{
    [Fact]
    public async Task answers_409_naming_the_header_once_the_retry_has_waited_long_enough()
    {
        var body = JsonSerializer.Serialize(Scenarios.Event(name: "slow", userId: "progress-1", createdAt: 1_700_000_000));
        Response first, retry;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            var sending = Post(body, "progress-key-1");
            await held.WaitForWaitersAsync();
            retry = await Post(body, "progress-key-1");
            await held.ReleaseAsync();
            first = await sending;
        }

        retry.ShouldBeError(HttpStatusCode.Conflict, "conflict", "Idempotency-Key");
        first.Status.ShouldBe(HttpStatusCode.Accepted, first.Body);
        var later = await Post(body, "progress-key-1");
        later.Status.ShouldBe(HttpStatusCode.Accepted);
        later.Headers["Idempotent-Replayed"].ShouldBe("true", "once the first request finished, its answer is replayed");
        (await api.TrackedIn("acme")).Count(e => e.UserId == "progress-1").ShouldBe(1);
    }

    [Fact]
    public async Task gives_the_key_up_when_the_request_fails_with_a_5xx()
    {
        var body = JsonSerializer.Serialize(Scenarios.Event(name: "failing", userId: "progress-2", createdAt: 1_700_000_000));
        await using (await CommitFailures.FailEveryCommitOf(api, "progress-2"))
        {
            (await Post(body, "progress-key-2")).ShouldBeServerFailure();
        }

        var retry = await Post(body, "progress-key-2");

        retry.Status.ShouldBe(HttpStatusCode.Accepted, retry.Body);
        retry.Headers.ShouldNotContainKey("Idempotent-Replayed", "the retry ran again instead of replaying a failure");
        (await api.TrackedIn("acme")).Count(e => e.UserId == "progress-2").ShouldBe(1);
    }

    private Task<Response> Post(string body, string key) =>
        api.Host.Send(HttpMethod.Post, "/events", body, headers: new Dictionary<string, string> { ["Idempotency-Key"] = key });
}

/// <summary>A claim whose request never finished (its node died) is taken over by a retry once it is older than Idempotency:AbandonedAfter.</summary>
public sealed class when_an_idempotency_key_was_abandoned(QuickAbandon api) : IClassFixture<QuickAbandon>
{
    [Fact]
    public async Task lets_a_retry_take_the_claim_over_and_run()
    {
        var body = JsonSerializer.Serialize(Scenarios.Event(name: "abandoned", userId: "abandoned-1", createdAt: 1_700_000_000));
        Response first, retry;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            var stuck = Post(body);
            await CommitQueue.WaitForPendingAsync(api.Host.Server.CreateClient(), api.Workspace, 1);
            var retrying = Post(body);
            // The retry waits for the stuck request, then takes its claim over and runs: its commit waits too.
            await CommitQueue.WaitForPendingAsync(api.Host.Server.CreateClient(), api.Workspace, 2);
            await held.ReleaseAsync();
            (first, retry) = (await stuck, await retrying);
        }

        retry.Status.ShouldBe(HttpStatusCode.Accepted, retry.Body);
        retry.Headers.ShouldNotContainKey("Idempotent-Replayed", "the retry ran itself");
        first.Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.TrackedIn(api.Workspace)).Count(e => e.UserId == "abandoned-1").ShouldBe(1, "both ran, and the event is stored once");
        (await Post(body)).Headers["Idempotent-Replayed"].ShouldBe("true", "the key holds the answer of the request that took it over");
    }

    private Task<Response> Post(string body) =>
        api.Host.Send(HttpMethod.Post, "/events", body, api.Token, headers: new Dictionary<string, string> { ["Idempotency-Key"] = "abandoned-key" });
}
