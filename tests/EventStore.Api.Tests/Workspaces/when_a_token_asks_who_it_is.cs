using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Workspaces;

/// <summary>GET /me: what a client learns about its own token.</summary>
public sealed class when_a_token_asks_who_it_is(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task a_workspace_token_names_its_workspace_and_scopes()
    {
        var me = (await api.Host.Get("/me")).Json;

        me["type"]!.GetValue<string>().ShouldBe("access_token");
        me["workspace"]!.GetValue<string>().ShouldBe("acme");
        me["operator"]!.GetValue<bool>().ShouldBeFalse();
        me["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["events:write", "events:read"], ignoreOrder: true);
        me["token_id"].ShouldBeNull("a configured token has no id");
    }

    [Fact]
    public async Task an_operator_token_has_no_workspace()
    {
        var me = (await api.Host.Get("/me", ApiFixture.AdminToken)).Json;

        me["workspace"].ShouldBeNull();
        me["operator"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task an_issued_token_shows_its_id_and_only_its_scopes()
    {
        var (id, secret) = await api.Host.CreateToken("globex", "events:read");

        var me = (await api.Host.Get("/me", secret)).Json;

        me["workspace"]!.GetValue<string>().ShouldBe("globex");
        me["token_id"]!.GetValue<string>().ShouldBe(id);
        me["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["events:read"]);
    }

    [Fact]
    public async Task an_unknown_token_is_refused()
    {
        var response = await api.Host.Get("/me", "not-a-token");

        response.ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");
    }
}
