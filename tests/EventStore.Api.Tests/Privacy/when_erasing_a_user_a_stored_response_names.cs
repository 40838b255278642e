using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Privacy;

/// <summary>
/// Responses kept for <c>Idempotency-Key</c> replays are personal data too when they list users (a segment search):
/// the erasure removes them in its transaction, so a replay runs the request again instead of returning the user.
/// </summary>
public sealed class when_erasing_a_user_a_stored_response_names(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static string Search(string eventName) => JsonSerializer.Serialize(new { query = new { event_name = eventName } });

    private Task<Response> SearchWithKey(string eventName, string key) =>
        api.Host.Send(HttpMethod.Post, "/segments/search", Search(eventName), headers: new Dictionary<string, string> { ["Idempotency-Key"] = key });

    [Fact]
    public async Task a_replayed_search_no_longer_returns_the_erased_user()
    {
        await api.Track("stored-1", "stored-search-1", 1_700_000_000, email: "stored-1@example.org");
        (await SearchWithKey("stored-search-1", "report-1")).Body.ShouldContain("stored-1@example.org", Case.Sensitive, "the search lists the user");

        (await api.Erase(new { user_id = "stored-1" })).Ok();
        var replay = await SearchWithKey("stored-search-1", "report-1");

        replay.Status.ShouldBe(HttpStatusCode.OK, replay.Body);
        replay.Body.ShouldNotContain("stored-1", Case.Insensitive, "neither the email nor the user_id may come back");
        replay.Headers.ShouldNotContainKey("Idempotent-Replayed", "the stored response is gone, so the search runs again");
    }

    [Fact]
    public async Task leaves_no_stored_response_that_names_the_user()
    {
        await api.Track("stored-2", "stored-search-2", 1_700_000_000, email: "stored-2@example.org");
        var timelineId = (await api.TimelinesIn("acme")).Single(t => t.UserId == "stored-2").Id;
        await SearchWithKey("stored-search-2", "report-2");

        (await api.Erase(new { email = "STORED-2@example.org" })).Ok();

        await using var command = api.DataSource().CreateCommand(
            "select count(*) from eventstore.idempotency_keys where tenant_id = 'acme' and (position($1 in body) > 0 or position($2 in body) > 0 or position($3 in body) > 0)");
        command.Parameters.AddWithValue("stored-2@example.org"u8.ToArray());
        command.Parameters.AddWithValue("\"stored-2\""u8.ToArray());
        command.Parameters.AddWithValue(System.Text.Encoding.UTF8.GetBytes(timelineId));
        ((long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!).ShouldBe(0);
    }

    [Fact]
    public async Task keeps_the_stored_responses_that_name_only_other_users()
    {
        await api.Track("stored-3", "stored-search-3", 1_700_000_000, email: "stored-3@example.org");
        await api.Track("stored-4", "stored-search-4", 1_700_000_000, email: "stored-4@example.org");
        await SearchWithKey("stored-search-4", "report-4");

        (await api.Erase(new { user_id = "stored-3" })).Ok();
        var replay = await SearchWithKey("stored-search-4", "report-4");

        replay.Headers["Idempotent-Replayed"].ShouldBe("true", "a response about someone else is still replayed");
        replay.Body.ShouldContain("stored-4@example.org");
    }

    [Fact]
    public async Task replays_a_retried_erasure()
    {
        await api.Track("stored-5", "stored-search-5", 1_700_000_000);
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "erase-5" };
        var token = await api.PrivacyToken();

        var first = await api.Host.Send(HttpMethod.Post, "/users/erase", """{"user_id":"stored-5"}""", token, headers: headers);
        var retry = await api.Host.Send(HttpMethod.Post, "/users/erase", """{"user_id":"stored-5"}""", token, headers: headers);

        first.Ok()["events_removed"]!.GetValue<long>().ShouldBe(1);
        retry.Body.ShouldBe(first.Body, "the erasure keeps its own stored response, so its retry is not a 404");
        retry.Headers["Idempotent-Replayed"].ShouldBe("true");
    }
}
