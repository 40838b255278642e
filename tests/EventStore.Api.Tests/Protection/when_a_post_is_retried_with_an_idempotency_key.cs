using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using Npgsql;

namespace EventStore.Api.Tests.Protection;

/// <summary>Idempotency-Key on POST: one effect per key and workspace, the original response replayed for 24 hours.</summary>
public sealed class when_a_post_is_retried_with_an_idempotency_key(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static Dictionary<string, string> Key(string key) => new() { ["Idempotency-Key"] = key };

    [Fact]
    public async Task still_answers_an_unknown_route_with_an_error_list_and_again_on_the_retry()
    {
        // Found by the fuzzer in CI: routing's bare 404 was buffered, stored and sent as an empty body.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var response = await api.Host.Send(HttpMethod.Post, "/event-names//unarchive", "{}", headers: Key("unknown-route"));

            response.ShouldBeError(HttpStatusCode.NotFound, "not_found");
        }
    }

    private Task<Response> Post(string url, object body, string key, string token = ApiFixture.AcmeToken) =>
        api.Host.Send(HttpMethod.Post, url, JsonSerializer.Serialize(body), token, headers: Key(key));

    private static object Import(string user, int count) =>
        new { user_id = user, event_summaries = new { event_name = "imported", count, first = 1_600_000_000, last = 1_600_000_100 } };

    [Fact]
    public async Task stores_one_event_and_answers_the_retry_with_the_original_response()
    {
        var body = Scenarios.Event(name: "paid", userId: "idem-1", createdAt: 1_700_000_000);

        var first = await Post("/events", body, "idem-key-1");
        var retry = await Post("/events", body, "idem-key-1");

        first.Status.ShouldBe(HttpStatusCode.Accepted, first.Body);
        retry.Status.ShouldBe(first.Status);
        retry.Body.ShouldBe(first.Body);
        retry.Headers["Idempotent-Replayed"].ShouldBe("true", "the retry is answered from the stored response");
        (await api.TrackedIn("acme")).Count(e => e.UserId == "idem-1").ShouldBe(1);
    }

    [Fact]
    public async Task replays_the_original_body_and_content_type_instead_of_running_again()
    {
        // Run again, an import of the same summary would answer imported 0, duplicates 1.
        var first = await Post("/events/summaries", Import("idem-2", 3), "idem-key-2");
        var retry = await Post("/events/summaries", Import("idem-2", 3), "idem-key-2");

        first.Json["imported"]!.GetValue<int>().ShouldBe(1, first.Body);
        retry.Status.ShouldBe(HttpStatusCode.OK);
        retry.Body.ShouldBe(first.Body, "the retry gets the first response, byte for byte");
        retry.Headers.ShouldContainKey("Idempotent-Replayed");
        (await ContentType("/events/summaries", Import("idem-2", 3), "idem-key-2")).ShouldBe("application/json; charset=utf-8");
    }

    [Fact]
    public async Task does_not_run_the_command_again_even_when_state_changed_since()
    {
        await api.Host.PostEvent(Scenarios.Event(name: "toggled", userId: "idem-3"));
        (await Post("/event-names/toggled/archive", new { }, "idem-key-3")).Json["archived"]!.GetValue<bool>().ShouldBeTrue();
        await api.Host.Send(HttpMethod.Post, "/event-names/toggled/unarchive", "{}");

        var retry = await Post("/event-names/toggled/archive", new { }, "idem-key-3");

        retry.Json["archived"]!.GetValue<bool>().ShouldBeTrue("the original response is replayed");
        var names = (await api.Host.Get("/event-names")).Json["event_names"]!.AsArray();
        names.Single(n => n!["name"]!.GetValue<string>() == "toggled")!["archived"]!.GetValue<bool>()
            .ShouldBeFalse("the retry must not archive the name a second time");
    }

    [Fact]
    public async Task answers_422_naming_the_header_when_the_key_comes_with_another_body()
    {
        await Post("/events", Scenarios.Event(name: "paid", userId: "idem-4", createdAt: 1_700_000_000), "idem-key-4");

        var other = await Post("/events", Scenarios.Event(name: "paid", userId: "idem-4", createdAt: 1_700_000_001), "idem-key-4");

        other.ShouldBeError(HttpStatusCode.UnprocessableEntity, "unprocessable_entity", "Idempotency-Key");
        (await api.TrackedIn("acme")).Count(e => e.UserId == "idem-4").ShouldBe(1, "the second body was not stored");
    }

    [Fact]
    public async Task keeps_keys_apart_per_workspace()
    {
        await Post("/events", Scenarios.Event(name: "paid", userId: "idem-5"), "idem-key-5");

        var globex = await Post("/events", Scenarios.Event(name: "other", userId: "idem-5"), "idem-key-5", ApiFixture.GlobexToken);

        globex.Status.ShouldBe(HttpStatusCode.Accepted, $"the same key in another workspace is another key: {globex.Body}");
        (await api.TrackedIn("globex")).Count(e => e.UserId == "idem-5").ShouldBe(1);
    }

    [Fact]
    public async Task stores_one_event_when_requests_with_one_key_arrive_at_once()
    {
        var body = Scenarios.Event(name: "raced", userId: "idem-6", createdAt: 1_700_000_000);
        Response first;
        Response[] retries;
        // The first request is held in progress while the others are sent: they arrive before it has an answer.
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            var sending = Post("/events", body, "idem-key-6");
            await held.WaitForWaitersAsync();
            var retrying = Enumerable.Range(0, 11).Select(_ => Post("/events", body, "idem-key-6")).ToList();
            retrying.ShouldAllBe(r => !r.IsCompleted, "no retry can be answered before the first request is");
            await held.ReleaseAsync();
            (first, retries) = (await sending, await Task.WhenAll(retrying));
        }

        first.Status.ShouldBe(HttpStatusCode.Accepted, first.Body);
        retries.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", retries.Select(r => $"{r.Status} {r.Body}")));
        retries.ShouldAllBe(r => r.Headers.ContainsKey("Idempotent-Replayed"), "each retry got the first request's answer");
        (await api.TrackedIn("acme")).Count(e => e.UserId == "idem-6").ShouldBe(1);
    }

    [Fact]
    public async Task runs_once_and_answers_every_concurrent_request_alike()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Post("/events/summaries", Import("idem-7", 2), "idem-key-7")));

        responses.Select(r => r.Body).Distinct().ShouldHaveSingleItem("one execution, its response given to all: " + string.Join(" | ", responses.Select(r => r.Body)));
        responses[0].Json["imported"]!.GetValue<int>().ShouldBe(1);
        responses.Count(r => !r.Headers.ContainsKey("Idempotent-Replayed")).ShouldBe(1, "exactly one request ran");
    }

    [Fact]
    public async Task ignores_a_key_older_than_24_hours()
    {
        await Post("/events", Scenarios.Event(name: "paid", userId: "idem-8", createdAt: 1_700_000_000), "idem-key-8");
        await AgeKey("idem-key-8", TimeSpan.FromHours(25));

        var later = await Post("/events", Scenarios.Event(name: "paid", userId: "idem-8", createdAt: 1_700_000_001), "idem-key-8");

        later.Status.ShouldBe(HttpStatusCode.Accepted, $"an expired key is a new key: {later.Body}");
        later.Headers.ShouldNotContainKey("Idempotent-Replayed");
        (await api.TrackedIn("acme")).Count(e => e.UserId == "idem-8").ShouldBe(2);
    }

    [Theory]
    [InlineData("bell\u0007")]
    [InlineData("tab\tinside")]
    [InlineData("é-not-ascii")]
    public async Task answers_400_for_a_malformed_key(string key) =>
        (await Post("/events", Scenarios.Event(userId: "idem-9"), key)).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "Idempotency-Key");

    [Fact]
    public async Task answers_400_for_a_key_longer_than_255_characters() =>
        (await Post("/events", Scenarios.Event(userId: "idem-10"), new string('k', 256))).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "Idempotency-Key");

    [Fact]
    public async Task accepts_a_key_of_255_printable_characters() =>
        (await Post("/events", Scenarios.Event(userId: "idem-11"), new string('~', 254) + " ")).Status.ShouldBe(HttpStatusCode.Accepted);

    private async Task<string?> ContentType(string url, object body, string key)
    {
        var client = api.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {ApiFixture.AcmeToken}");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        response.Headers.Contains("Idempotent-Replayed").ShouldBeTrue();
        return response.Content.Headers.ContentType?.ToString();
    }

    private async Task AgeKey(string key, TimeSpan age)
    {
        var dataSource = (NpgsqlDataSource)api.Host.Services.GetService(typeof(NpgsqlDataSource))!;
        await using var command = dataSource.CreateCommand("update eventstore.idempotency_keys set claimed_at = claimed_at - $1 where idempotency_key = $2");
        command.Parameters.AddWithValue(age);
        command.Parameters.AddWithValue(key);
        (await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken)).ShouldBe(1);
    }
}
