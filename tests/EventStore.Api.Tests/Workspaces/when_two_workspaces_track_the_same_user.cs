using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Workspaces;

public sealed class when_two_workspaces_track_the_same_user(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task keeps_a_separate_timeline_in_each_workspace()
    {
        var body = Scenarios.Event(name: "shared", userId: "same-user", createdAt: 1_700_000_000);

        (await api.Host.PostEvent(body, ApiFixture.AcmeToken)).Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.Host.PostEvent(body, ApiFixture.GlobexToken)).Status.ShouldBe(HttpStatusCode.Accepted);

        var acme = (await api.TrackedIn("acme")).Single(e => e.UserId == "same-user");
        var globex = (await api.TrackedIn("globex")).Single(e => e.UserId == "same-user");
        acme.TimelineId.ShouldNotBe(globex.TimelineId);
        acme.Workspace.ShouldBe("acme");
        globex.Workspace.ShouldBe("globex");
    }

    [Fact]
    public async Task does_not_let_one_workspace_address_another_workspaces_user_by_service_id()
    {
        await api.Host.PostEvent(Scenarios.Event(userId: "acme-only"), ApiFixture.AcmeToken);
        var acmeTimeline = (await api.TimelinesIn("acme")).Single(t => t.UserId == "acme-only");

        var response = await api.Host.PostEvent(new { event_name = "x", created_at = Scenarios.Now, id = acmeTimeline.Id }, ApiFixture.GlobexToken);

        response.ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task lets_the_same_email_belong_to_different_users_in_different_workspaces()
    {
        (await api.Host.PostEvent(Scenarios.Event(userId: "a-1", email: "shared@example.org"), ApiFixture.AcmeToken)).Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.Host.PostEvent(Scenarios.Event(userId: "g-1", email: "shared@example.org"), ApiFixture.GlobexToken)).Status.ShouldBe(HttpStatusCode.Accepted);

        (await api.TimelinesIn("acme")).Single(t => t.EmailKey == "shared@example.org").UserId.ShouldBe("a-1");
        (await api.TimelinesIn("globex")).Single(t => t.EmailKey == "shared@example.org").UserId.ShouldBe("g-1");
    }
}
