using System.Net;
using System.Text.Json;
using Alba;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>Issuing workspace tokens through the admin API, as an operator would.</summary>
public static class Tokens
{
    /// <summary>Creates a token with <paramref name="scopes"/> (for example <c>users:erase</c>) and returns its id and secret.</summary>
    public static async Task<(string Id, string Secret)> CreateToken(this IAlbaHost host, string workspace, params string[] scopes)
    {
        var response = await host.Send(HttpMethod.Post, "/admin/tokens",
            JsonSerializer.Serialize(new { workspace, scopes, name = $"test {string.Join(" ", scopes)}" }), ApiFixture.AdminToken);
        response.Status.ShouldBe(HttpStatusCode.Created, response.Body);
        return (response.Json["id"]!.GetValue<string>(), response.Json["token"]!.GetValue<string>());
    }

    public static Task<Response> RevokeToken(this IAlbaHost host, string id) =>
        host.Send(HttpMethod.Delete, $"/admin/tokens/{id}", token: ApiFixture.AdminToken);
}
