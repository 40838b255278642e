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

    /// <summary>
    /// Polls a <c>pages.since</c> link until it brings at least <paramref name="count"/> events or 20 s have passed,
    /// and returns the last answer. The since feed serves a transaction once every older one in the cluster has
    /// finished (so it never steps over a late commit), which may take a moment after a 202.
    /// </summary>
    public static async Task<JsonNode> PollSince(this IAlbaHost host, string since, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var polled = (await host.Get(PathOf(since))).Json;
            if (polled["events"]!.AsArray().Count >= count || DateTime.UtcNow > deadline)
            {
                return polled;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

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
