using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

public sealed class when_tracking_in_bulk(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static string Event(string user, string name, long at, string extra = "") =>
        $$"""{"event_name":"{{name}}","created_at":{{at}},"user_id":"{{user}}"{{extra}} }""";

    private async Task<JsonNode> Bulk(string body, string contentType = "application/json", string query = "", HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await api.Host.Send(HttpMethod.Post, "/events/bulk" + query, body, contentType: contentType);
        response.Status.ShouldBe(expected, response.Body);
        return response.Json;
    }

    private static IEnumerable<string> Statuses(JsonNode result) => result["results"]!.AsArray().Select(r => r!["status"]!.GetValue<string>());

    [Fact]
    public async Task stores_the_valid_items_and_reports_each_item_in_order()
    {
        var result = await Bulk($"[{Event("bulk-1", "a", 1_700_000_000)},{{\"event_name\":\"b\"}},{Event("bulk-1", "c", 1_700_000_001)}]");

        Statuses(result).ShouldBe(["accepted", "rejected", "accepted"]);
        result["type"]!.GetValue<string>().ShouldBe("event.bulk.result");
        result["accepted"]!.GetValue<int>().ShouldBe(2);
        var errors = result["results"]![1]!["errors"]!.AsArray();
        errors.Select(e => e!["field"]!.GetValue<string>()).ShouldBe(["created_at", "user_id"], ignoreOrder: true);
        result["results"]![1]!["index"]!.GetValue<int>().ShouldBe(1);
        (await api.TrackedIn("acme")).Count(e => e.UserId == "bulk-1").ShouldBe(2);
    }

    [Fact]
    public async Task gives_errors_only_to_the_items_that_have_some()
    {
        var result = await Bulk($"[{Event("bulk-errors", "a", 1_700_000_000)},{{\"event_name\":\"b\"}}]");

        result["results"]![0]!.AsObject().ContainsKey("errors").ShouldBeFalse($"an accepted item has no errors member, as in the README: {result}");
        result["results"]![1]!["errors"]!.AsArray().ShouldNotBeEmpty();
    }

    [Fact]
    public async Task stores_nothing_in_atomic_mode_when_any_item_is_rejected()
    {
        var result = await Bulk($"[{Event("bulk-2", "a", 1_700_000_000)},{Event("bulk-2", "b", 17_000_000_000_000)}]", query: "?atomic=true");

        Statuses(result).ShouldBe(["not_stored", "rejected"]);
        (await api.TrackedIn("acme")).ShouldNotContain(e => e.UserId == "bulk-2");
    }

    [Fact]
    public async Task stores_everything_in_atomic_mode_when_every_item_is_valid()
    {
        var result = await Bulk($"[{Event("bulk-3", "a", 1_700_000_000)},{Event("bulk-3", "b", 1_700_000_001)}]", query: "?atomic=true");

        Statuses(result).ShouldBe(["accepted", "accepted"]);
        (await api.TrackedIn("acme")).Count(e => e.UserId == "bulk-3").ShouldBe(2);
    }

    [Fact]
    public async Task treats_a_repeat_inside_one_request_as_a_duplicate()
    {
        var result = await Bulk($"[{Event("bulk-4", "a", 1_700_000_000)},{Event("bulk-4", "A", 1_700_000_000)}]");

        Statuses(result).ShouldBe(["accepted", "duplicate"]);
        (await api.TrackedIn("acme")).Count(e => e.UserId == "bulk-4").ShouldBe(1);
    }

    [Fact]
    public async Task treats_a_repeat_of_an_earlier_request_as_a_duplicate()
    {
        await Bulk($"[{Event("bulk-5", "a", 1_700_000_000)}]");
        (await api.Host.PostEvent(Scenarios.Event(name: "b", userId: "bulk-5", createdAt: 1_700_000_001))).Status.ShouldBe(HttpStatusCode.Accepted);

        Statuses(await Bulk($"[{Event("bulk-5", "a", 1_700_000_000)},{Event("bulk-5", "b", 1_700_000_001)}]")).ShouldBe(["duplicate", "duplicate"]);
        (await api.TrackedIn("acme")).Count(e => e.UserId == "bulk-5").ShouldBe(2, "each event stored once");
    }

    [Fact]
    public async Task reads_ndjson()
    {
        var body = $"{Event("bulk-6", "a", 1_700_000_000)}\n\n{Event("bulk-6", "b", 1_700_000_001)}\nnot json\n";

        var result = await Bulk(body, "application/x-ndjson");

        Statuses(result).ShouldBe(["accepted", "accepted", "rejected"]);
        result["results"]![2]!["errors"]![0]!["code"]!.GetValue<string>().ShouldBe("bad_request");
        (await api.TrackedIn("acme")).Where(e => e.UserId == "bulk-6").Select(e => e.Name).ShouldBe(["a", "b"], ignoreOrder: true);
    }

    [Fact]
    public async Task reads_a_gzip_body()
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes($"[{Event("bulk-7", "a", 1_700_000_000)}]"), TestContext.Current.CancellationToken);
        }

        var client = api.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events/bulk") { Content = new ByteArrayContent(compressed.ToArray()) };
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Authorization = new("Bearer", ApiFixture.AcmeToken);

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        (await api.TrackedIn("acme")).Count(e => e.UserId == "bulk-7").ShouldBe(1);
    }

    [Fact]
    public async Task answers_413_above_five_mebibytes()
    {
        var padding = new string('p', 200);
        var item = Event("bulk-8", "a", 1_700_000_000, $",\"metadata\":{{\"p\":\"{padding}\"}}");
        var body = "[" + string.Join(",", Enumerable.Repeat(item, 5 * 1024 * 1024 / item.Length + 10)) + "]";

        (await api.Host.Send(HttpMethod.Post, "/events/bulk", body)).ShouldBeError(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task refuses_more_than_a_thousand_events() =>
        (await api.Host.Send(HttpMethod.Post, "/events/bulk", "[" + string.Join(",", Enumerable.Range(0, 1001).Select(i => Event("bulk-9", "a", 1_600_000_000 + i))) + "]"))
            .ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "body");

    [Fact]
    public async Task refuses_a_body_that_is_not_an_array() =>
        (await api.Host.Send(HttpMethod.Post, "/events/bulk", Event("bulk-10", "a", 1_700_000_000))).ShouldBeError(HttpStatusCode.BadRequest, "type_mismatch", "body");
}

/// <summary>Group commit: concurrent requests share transactions, and each still gets exactly its own answer.</summary>
public sealed class when_requests_are_committed_in_groups(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task stores_every_event_of_many_concurrent_users_exactly_once()
    {
        var bodies = Enumerable.Range(0, 200).Select(i => Scenarios.Event(name: $"group-{i % 5}", userId: $"group-user-{i % 40}", createdAt: 1_700_000_000 + i)).ToList();

        var responses = await Task.WhenAll(bodies.Select(b => api.Host.PostEvent(b)));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted);
        var stored = (await api.TrackedIn("acme")).Where(e => e.UserId!.StartsWith("group-user-")).ToList();
        stored.Count.ShouldBe(200);
        stored.GroupBy(e => e.UserId).ShouldAllBe(g => g.Select(e => e.TimelineId).Distinct().Count() == 1, "one timeline per user even when a user's first events share a group");
    }

    [Fact]
    public async Task does_not_let_a_refused_event_fail_the_others_of_its_group()
    {
        await api.Host.PostEvent(Scenarios.Event(name: "x", userId: "owner", email: "owned@example.org"));

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => i == 15
            ? api.Host.PostEvent(Scenarios.Event(name: "x", userId: "thief", email: "owned@example.org"))
            : api.Host.PostEvent(Scenarios.Event(name: "x", userId: $"neighbour-{i}", createdAt: 1_700_000_000 + i))));

        responses[15].ShouldBeError(HttpStatusCode.Conflict, "conflict", "email");
        responses.Where((_, i) => i != 15).ShouldAllBe(r => r.Status == HttpStatusCode.Accepted);
        (await api.TrackedIn("acme")).Count(e => e.UserId!.StartsWith("neighbour-")).ShouldBe(29);
    }

    [Fact]
    public async Task answers_202_only_for_what_is_already_readable_in_the_store()
    {
        // Every 202 is followed at once by a read in a new session: the event must be there, committed.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var response = await api.Host.PostEvent(Scenarios.Event(name: "committed", userId: $"durable-{i}", createdAt: 1_700_000_000));
            response.Status.ShouldBe(HttpStatusCode.Accepted);
            (await api.TrackedIn("acme")).ShouldContain(e => e.UserId == $"durable-{i}", "202 means committed");
        }));
    }
}
