using System.Net;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Segments;

/// <summary>Seeding and reading helpers shared by the segment specifications.</summary>
public static class SegmentScenarios
{
    public const long Day = 86_400;

    /// <summary>Posts one event through the real API and insists it was accepted.</summary>
    public static async Task Did(this ApiFixture api, string userId, string name, long createdAt, string token = ApiFixture.AcmeToken)
    {
        var response = await api.Host.PostEvent(Scenarios.Event(name: name, userId: userId, createdAt: createdAt, email: $"{userId}@example.org"), token);
        response.Status.ShouldBe(HttpStatusCode.Accepted, $"seeding {userId} {name}: {response.Body}");
    }

    public static async Task<Response> Get(this ApiFixture api, string url, string token = ApiFixture.AcmeToken) =>
        await api.Host.Send(HttpMethod.Get, url, token: token);

    public static async Task<Response> Search(this ApiFixture api, string body, string token = ApiFixture.AcmeToken) =>
        await api.Host.Send(HttpMethod.Post, "/segments/search", body, token);

    /// <summary>The 200 body, or a failure that shows what came instead.</summary>
    public static JsonNode Ok(this Response response)
    {
        response.Status.ShouldBe(HttpStatusCode.OK, $"body: {response.Body}");
        return response.Json;
    }

    public static IReadOnlyList<string> UserIds(this JsonNode list) =>
        [.. list["users"]!.AsArray().Select(u => u!["user_id"]!.GetValue<string>())];
}
