using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Privacy;

/// <summary>Erasure needs the users:erase scope: reading and writing events is not enough.</summary>
public sealed class when_a_token_without_the_erase_scope_erases(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task refuses_a_configured_workspace_token_with_403_and_erases_nothing()
    {
        await api.Track("keep-me", "signed-up", 1_700_000_000);

        var response = await api.Host.Send(HttpMethod.Post, "/users/erase", """{"user_id":"keep-me"}""", ApiFixture.AcmeToken);

        response.ShouldBeError(HttpStatusCode.Forbidden, "forbidden");
        (await api.TrackedIn("acme")).ShouldContain(e => e.UserId == "keep-me");
    }

    [Fact]
    public async Task refuses_an_issued_token_with_only_event_scopes_with_403()
    {
        var (_, secret) = await api.Host.CreateToken("acme", "events:write", "events:read");

        (await api.Host.Send(HttpMethod.Post, "/users/erase", """{"user_id":"keep-me-too"}""", secret)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task refuses_another_workspaces_erase_token_as_for_a_user_nobody_has()
    {
        await api.Track("acme-only-user", "signed-up", 1_700_000_000);
        var (_, globexEraser) = await api.Host.CreateToken("globex", "users:erase");

        (await api.Host.Send(HttpMethod.Post, "/users/erase", """{"user_id":"acme-only-user"}""", globexEraser)).ShouldBeError(HttpStatusCode.NotFound, "not_found");
        (await api.TrackedIn("acme")).ShouldContain(e => e.UserId == "acme-only-user");
    }
}
