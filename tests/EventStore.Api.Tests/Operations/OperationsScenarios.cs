using System.Net;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Operations;

/// <summary>Steps the operations tests share: a varied population, the reads that must survive a rebuild, rebuild jobs.</summary>
public static class OperationsScenarios
{
    /// <summary>Every read model seen through the API, for users and names <see cref="SeedPopulationAsync"/> creates.</summary>
    public static readonly string[] ReadUrls =
    [
        "/events?type=user&user_id=ops-1&per_page=100",
        "/events?type=user&user_id=ops-1&per_page=2",
        "/events?type=user&email=ops-2@example.org&per_page=100",
        "/events?type=user&user_id=ops-1&summary=true",
        "/events?type=user&user_id=ops-3&summary=true",
        "/segments?include_archived=true",
        "/segments/placed-order",
        "/segments/placed-order/users",
        "/segments/placed-order/users?count_gt=1",
        "/segments/imported-visit/users",
        "/event-names",
    ];

    /// <summary>
    /// Users with identity changes (an email attached later), metadata of several types, an imported summary,
    /// a described and an archived event name, in acme; and one user in globex.
    /// </summary>
    public static async Task SeedPopulationAsync(ApiFixture api)
    {
        async Task Post(object body, string token = ApiFixture.AcmeToken) =>
            (await api.Host.PostEvent(body, token)).Status.ShouldBe(HttpStatusCode.Accepted);

        await Post(Scenarios.Event(name: "signed-up", userId: "ops-1", createdAt: 1_700_000_000, metadata: new { plan = "pro", seats = 3 }));
        await Post(Scenarios.Event(name: "placed-order", userId: "ops-1", createdAt: 1_700_000_100,
            metadata: new { order_date = 1_700_000_050, price = new { amount = 3499, currency = "eur" }, link = "https://example.org/o/1" }));
        await Post(Scenarios.Event(name: "placed-order", userId: "ops-1", createdAt: 1_700_000_200));
        await Post(Scenarios.Event(name: "placed-order", userId: "ops-2", createdAt: 1_700_000_300));
        await Post(Scenarios.Event(name: "placed-order", userId: "ops-2", createdAt: 1_700_000_400, email: "ops-2@example.org"));
        await Post(Scenarios.Event(name: "viewed-page", userId: null, email: "ops-3@example.org", createdAt: 1_700_000_500));
        await Post(Scenarios.Event(name: "placed-order", userId: "ops-9", createdAt: 1_700_000_600), ApiFixture.GlobexToken);
        (await api.Host.Send(HttpMethod.Post, "/events/summaries",
            """{"user_id":"ops-3","event_summaries":[{"event_name":"imported-visit","count":4,"first":1600000000,"last":1650000000}]}"""))
            .Status.ShouldBe(HttpStatusCode.OK);
        (await api.Host.Send(HttpMethod.Put, "/event-names/placed-order", """{"description":"An order was placed"}""")).Status.ShouldBe(HttpStatusCode.OK);
        (await api.Host.Send(HttpMethod.Post, "/event-names/viewed-page/archive")).Status.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>The answer of every read, without <c>pages.since</c>.</summary>
    public static async Task<Dictionary<string, string>> ReadAllAsync(ApiFixture api)
    {
        var answers = new Dictionary<string, string>();
        foreach (var url in ReadUrls)
        {
            answers[url] = await ReadAsync(api, url);
        }

        return answers;
    }

    /// <summary>One read's answer without <c>pages.since</c> (it carries a database snapshot, which moves by itself).</summary>
    public static async Task<string> ReadAsync(ApiFixture api, string url, string token = ApiFixture.AcmeToken)
    {
        var response = await api.Host.Get(url, token);
        response.Status.ShouldBe(HttpStatusCode.OK, $"{url}: {response.Body}");
        var json = response.Json;
        json["pages"]?.AsObject().Remove("since");
        return json.ToJsonString();
    }

    /// <summary>Starts a rebuild over HTTP; the 202's job.</summary>
    public static async Task<JsonNode> StartRebuildAsync(ApiFixture api, string projection, string? workspace = null)
    {
        var url = $"/admin/projections/{projection}/rebuild" + (workspace is null ? "" : $"?workspace={workspace}");
        var response = await api.Host.Send(HttpMethod.Post, url, token: ApiFixture.AdminToken);
        response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
        return response.Json;
    }

    /// <summary>Polls the job (GET on its location) until it has an outcome, or fails the test after a deadline (40 s: within the test's own timeout).</summary>
    public static async Task<JsonNode> WaitForAsync(ApiFixture api, JsonNode job, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(40));
        while (true)
        {
            var response = await api.Host.Get($"/admin/projections/rebuilds/{job["id"]}", ApiFixture.AdminToken);
            response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
            var state = (string)response.Json["state"]!;
            if (state != "running")
            {
                return response.Json;
            }

            DateTime.UtcNow.ShouldBeLessThan(until, $"rebuild {job["id"]} still running: {response.Body}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public static async Task<JsonNode> RebuildAsync(ApiFixture api, string projection, string? workspace = null)
    {
        var finished = await WaitForAsync(api, await StartRebuildAsync(api, projection, workspace));
        ((string)finished["state"]!).ShouldBe("succeeded", finished.ToJsonString());
        return finished;
    }

    /// <summary>Every read answers as it did before, each checked on its own so that a failure names the read.</summary>
    public static void ShouldAnswerAsBefore(IReadOnlyDictionary<string, string> after, IReadOnlyDictionary<string, string> before, string when)
    {
        foreach (var (url, answer) in before)
        {
            after[url].ShouldBe(answer, $"{url} must answer the same {when}");
        }
    }
}
