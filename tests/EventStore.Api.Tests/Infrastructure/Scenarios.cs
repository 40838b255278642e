using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alba;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>Small vocabulary for talking to the API the way an Intercom client does.</summary>
public static class Scenarios
{
    public static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>POSTs a JSON body to /events with a workspace token and returns the raw response.</summary>
    public static async Task<Response> PostEvent(this IAlbaHost host, object body, string token = ApiFixture.AcmeToken) =>
        await host.Send(HttpMethod.Post, "/events", JsonSerializer.Serialize(body), token);

    /// <summary>POSTs an event and requires the 202 that says it was stored (or recognised as a duplicate).</summary>
    public static async Task TrackAccepted(this IAlbaHost host, object body)
    {
        var response = await host.PostEvent(body);
        response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
    }

    public static async Task<Response> Send(this IAlbaHost host, HttpMethod method, string url, string? body = null, string? token = ApiFixture.AcmeToken,
        string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        var client = host.Server.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        }

        request.Headers.TryAddWithoutValidation("Intercom-Version", "2.14");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Remove(name);
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Response(response.StatusCode, text, response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase));
    }

    public static object Event(string name = "invited-friend", long? createdAt = null, string? userId = "314159", object? metadata = null, string? email = null) =>
        new Dictionary<string, object?>
        {
            ["event_name"] = name,
            ["created_at"] = createdAt ?? Now,
            ["user_id"] = userId,
            ["email"] = email,
            ["metadata"] = metadata,
        }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
}

/// <summary>What came back: status, body text and headers.</summary>
public sealed record Response(HttpStatusCode Status, string Body, IReadOnlyDictionary<string, string> Headers)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("empty body");

    /// <summary>Asserts the body is Intercom's error.list and returns its errors.</summary>
    public IReadOnlyList<(string Code, string Message, string? Field)> Errors()
    {
        var json = Json;
        json["type"]!.GetValue<string>().ShouldBe("error.list", $"body: {Body}");
        Guid.TryParse(json["request_id"]!.GetValue<string>(), out _).ShouldBeTrue($"request_id must be a UUID, body: {Body}");
        return [.. json["errors"]!.AsArray().Select(e => (e!["code"]!.GetValue<string>(), e["message"]!.GetValue<string>(), e["field"]?.GetValue<string>()))];
    }

    /// <summary>Asserts a failure of the service (5xx) told in error.list form, so that the client knows to retry.</summary>
    public void ShouldBeServerFailure()
    {
        ((int)Status).ShouldBeInRange(500, 599, $"body: {Body}");
        Errors().ShouldNotBeEmpty($"body: {Body}");
    }

    public void ShouldBeError(HttpStatusCode status, string code, string? field = null)
    {
        Status.ShouldBe(status, $"body: {Body}");
        var errors = Errors();
        errors.ShouldContain(e => e.Code == code && (field == null || e.Field == field), $"expected {code} on {field}, body: {Body}");
    }
}
