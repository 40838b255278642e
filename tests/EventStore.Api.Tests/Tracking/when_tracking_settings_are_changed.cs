using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

/// <summary>Tracking settings away from their defaults: 3 metadata keys, 1 hour ahead at most, one bulk request at a time.</summary>
public sealed class TunedTracking(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "tuned";

    protected override IReadOnlyDictionary<string, string> MoreSettings => new Dictionary<string, string>
    {
        ["Tracking:MetadataKeyCap"] = "3",
        ["Tracking:AllowedFuture"] = "01:00:00",
        ["Tracking:Bulk:MaxConcurrentRequests"] = "1",
    };
}

public sealed class when_tracking_settings_are_changed(TunedTracking api) : IClassFixture<TunedTracking>
{
    [Fact]
    public async Task keeps_as_many_metadata_keys_as_the_cap_says_and_names_the_others()
    {
        var response = await api.Host.PostEvent(Scenarios.Event(userId: "tuned-1", metadata: new { k1 = 1, k2 = 2, k3 = 3, k4 = 4, k5 = 5 }), api.Token);

        response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
        response.Headers["X-Metadata-Keys-Ignored"].ShouldBe("k4,k5");
        (await api.TrackedIn(api.Workspace)).Single(e => e.UserId == "tuned-1").Metadata.Select(m => m.Key).ShouldBe(["k1", "k2", "k3"]);
    }

    [Fact]
    public async Task refuses_a_created_at_further_ahead_than_allowed()
    {
        var refused = await api.Host.PostEvent(Scenarios.Event(userId: "tuned-2", createdAt: DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds()), api.Token);

        refused.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "created_at");
        (await api.TrackedIn(api.Workspace)).ShouldNotContain(e => e.UserId == "tuned-2");
    }

    [Fact]
    public async Task accepts_a_created_at_within_the_allowed_future()
    {
        var accepted = await api.Host.PostEvent(Scenarios.Event(userId: "tuned-3", createdAt: DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeSeconds()), api.Token);

        accepted.Status.ShouldBe(HttpStatusCode.Accepted, accepted.Body);
    }

    [Fact]
    public async Task lets_a_bulk_request_wait_unread_while_another_is_being_committed()
    {
        var client = api.Host.Server.CreateClient();
        Response first, second, single;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            var firstSending = Bulk(["bulk-a-1", "bulk-a-2", "bulk-a-3"]);
            await CommitQueue.WaitForPendingAsync(client, api.Workspace, 3);
            var secondSending = Bulk(["bulk-b-1", "bulk-b-2"]);
            // A single event is not a bulk request: it reaches the committer while the second bulk request waits its turn.
            var singleSending = api.Host.PostEvent(Scenarios.Event(name: "bulk-item", userId: "single-1"), api.Token);
            await CommitQueue.WaitForPendingAsync(client, api.Workspace, 4);

            (await CommitQueue.PendingAsync(client, api.Workspace)).ShouldBe(4, "the second bulk request must not reach the committer while the first holds the only turn");
            secondSending.IsCompleted.ShouldBeFalse();
            await held.ReleaseAsync();
            (first, second, single) = (await firstSending, await secondSending, await singleSending);
        }

        foreach (var bulk in new[] { first, second })
        {
            bulk.Status.ShouldBe(HttpStatusCode.OK, bulk.Body);
            bulk.Json["accepted"]!.GetValue<int>().ShouldBe(bulk.Json["results"]!.AsArray().Count, bulk.Body);
        }

        single.Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.TrackedIn(api.Workspace)).Where(e => e.Name == "bulk-item").Select(e => e.UserId)
            .ShouldBe(["bulk-a-1", "bulk-a-2", "bulk-a-3", "bulk-b-1", "bulk-b-2", "single-1"], ignoreOrder: true);
    }

    private Task<Response> Bulk(string[] users) =>
        api.Host.Send(HttpMethod.Post, "/events/bulk", JsonSerializer.Serialize(users.Select(user => Scenarios.Event(name: "bulk-item", userId: user))), api.Token);
}
