using System.Text.Json.Nodes;
using Alba;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>Reading through the API as a client would, following pages.next links.</summary>
public static class Reads
{
    public static Task<Response> Get(this IAlbaHost host, string url, string token = ApiFixture.AcmeToken) =>
        host.Send(HttpMethod.Get, url, token: token);

    /// <summary>The path and query of an absolute link the API returned.</summary>
    public static string PathOf(string absoluteUrl) => new Uri(absoluteUrl).PathAndQuery;

    /// <summary>Walks pages.next from the first page and returns every event in the order served.</summary>
    public static async Task<List<JsonNode>> WalkTimeline(this IAlbaHost host, string firstUrl, string token = ApiFixture.AcmeToken)
    {
        var events = new List<JsonNode>();
        var url = firstUrl;
        for (var pages = 0; url is not null; pages++)
        {
            pages.ShouldBeLessThan(10_000, "paging must end");
            var response = await host.Get(url, token);
            response.Status.ShouldBe(System.Net.HttpStatusCode.OK, response.Body);
            var json = response.Json;
            events.AddRange(json["events"]!.AsArray().Select(e => e!.DeepClone()));
            url = json["pages"]?["next"]?.GetValue<string>() is { } next ? PathOf(next) : null;
        }

        return events;
    }
}
