using System.Net;
using Alba;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace EventStore.Api.Tests.Workspaces;

/// <summary>
/// A 401 says how to authenticate (<c>WWW-Authenticate: Bearer</c>, docs/security.md), whatever made the token
/// unacceptable: none, unknown, revoked, or issued for a workspace that is no longer configured.
/// </summary>
public sealed class when_a_token_is_refused(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task answers_401_with_www_authenticate_bearer_without_a_token() =>
        ShouldChallenge(await api.Host.Send(HttpMethod.Get, "/event-names", token: null));

    [Fact]
    public async Task answers_401_with_www_authenticate_bearer_for_an_unknown_token() =>
        ShouldChallenge(await api.Host.Send(HttpMethod.Get, "/event-names", token: "nobody-has-this-token"));

    [Fact]
    public async Task answers_401_with_www_authenticate_bearer_for_a_revoked_token()
    {
        var (id, secret) = await api.Host.CreateToken("acme", "events:read");
        (await api.Host.RevokeToken(id)).Status.ShouldBe(HttpStatusCode.NoContent);

        ShouldChallenge(await api.Host.Send(HttpMethod.Get, "/event-names", token: secret));
    }

    [Fact]
    public async Task refuses_an_issued_token_of_a_workspace_removed_from_configuration()
    {
        var (_, secret) = await api.Host.CreateToken("globex", "events:read");
        (await api.Host.Send(HttpMethod.Get, "/event-names", token: secret)).Status.ShouldBe(HttpStatusCode.OK, "the token works while globex is configured");

        // The same database, restarted with globex taken out of the configuration.
        await using var withoutGlobex = await AlbaHost.For<Program>(builder =>
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("ConnectionStrings:Postgres", api.ConnectionString);
            builder.UseSetting("Workspaces:0:Id", "acme");
            builder.UseSetting("Workspaces:0:AccessTokens:0", ApiFixture.AcmeToken);
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        });

        ShouldChallenge(await withoutGlobex.Send(HttpMethod.Get, "/event-names", token: secret));
        ShouldChallenge(await withoutGlobex.Send(HttpMethod.Post, "/events", System.Text.Json.JsonSerializer.Serialize(Scenarios.Event(userId: "ghost")), secret));
    }

    private static void ShouldChallenge(Response response)
    {
        response.ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");
        response.Headers.TryGetValue("WWW-Authenticate", out var challenge).ShouldBeTrue($"a 401 says how to authenticate: {response.Body}");
        challenge.ShouldStartWith("Bearer");
    }
}
