using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Privacy;

/// <summary>Seeding, erasing and exporting (what an erasure must remove is looked for with <see cref="TimelineTraces"/>).</summary>
public static class PrivacyScenarios
{
    /// <summary>A token of acme with the <c>users:erase</c> scope, which erasure and export need (issued once per fixture).</summary>
    public static async Task<string> PrivacyToken(this ApiFixture api) =>
        (await api.Once("erase token", () => api.Host.CreateToken("acme", "users:erase"))).Secret;

    /// <summary>Erases with acme's <see cref="PrivacyToken"/>.</summary>
    public static async Task<Response> Erase(this ApiFixture api, object body) =>
        await api.Host.Send(HttpMethod.Post, "/users/erase", JsonSerializer.Serialize(body), await api.PrivacyToken());

    /// <summary>Exports with acme's <see cref="PrivacyToken"/>, unless another token is given.</summary>
    public static async Task<Response> Export(this ApiFixture api, string query, string? token = null) =>
        await api.Host.Send(HttpMethod.Get, $"/users/export?{query}", token: token ?? await api.PrivacyToken());

    /// <summary>Posts one event and insists it was accepted.</summary>
    public static async Task Track(this ApiFixture api, string userId, string name, long createdAt, string? email = null, object? metadata = null, string token = ApiFixture.AcmeToken)
    {
        var response = await api.Host.PostEvent(Scenarios.Event(name: name, userId: userId, createdAt: createdAt, email: email, metadata: metadata), token);
        response.Status.ShouldBe(HttpStatusCode.Accepted, $"seeding {userId} {name}: {response.Body}");
    }

    /// <summary>Imports one summary and insists it was recorded.</summary>
    public static async Task Import(this ApiFixture api, string userId, string name, long count, long first, long last, string token = ApiFixture.AcmeToken)
    {
        var response = await api.Host.Send(HttpMethod.Post, "/events/summaries",
            JsonSerializer.Serialize(new { user_id = userId, event_summaries = new { event_name = name, count, first, last } }), token);
        response.Status.ShouldBe(HttpStatusCode.OK, $"importing for {userId}: {response.Body}");
    }

    /// <summary>A user with two tracked events (one with metadata), an email and an imported summary.</summary>
    public static async Task<string> SeedUser(this ApiFixture api, string userId, string workspace = "acme", string token = ApiFixture.AcmeToken)
    {
        await api.Track(userId, "signed-up", 1_700_000_000, email: $"{userId}@example.org", metadata: new { plan = "pro", seats = 3 }, token: token);
        await api.Track(userId, "placed-order", 1_700_000_100, token: token);
        await api.Import(userId, "placed-order", 4, 1_600_000_000, 1_650_000_000, token);
        return (await api.TimelinesIn(workspace)).Single(t => t.UserId == userId).Id;
    }

    public static JsonNode Ok(this Response response)
    {
        response.Status.ShouldBe(HttpStatusCode.OK, $"body: {response.Body}");
        return response.Json;
    }
}
