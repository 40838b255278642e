using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Privacy;

public sealed class when_exporting_a_user(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task returns_the_users_identity()
    {
        var timelineId = await api.SeedUser("ex-identity");

        var user = (await api.Export("user_id=ex-identity")).Ok()["user"]!;

        user["user_id"]!.GetValue<string>().ShouldBe("ex-identity");
        user["email"]!.GetValue<string>().ShouldBe("ex-identity@example.org");
        user["intercom_user_id"]!.GetValue<string>().ShouldBe(timelineId);
    }

    [Fact]
    public async Task returns_every_event_oldest_first_in_the_timeline_wire_format()
    {
        await api.SeedUser("ex-events");

        var json = (await api.Export("user_id=ex-events")).Ok();

        json["type"]!.GetValue<string>().ShouldBe("user.export");
        var events = json["events"]!.AsArray();
        events.Select(e => e!["event_name"]!.GetValue<string>()).ShouldBe(["signed-up", "placed-order"], "oldest first");
        var timeline = (await api.Host.Get("/events?type=user&user_id=ex-events")).Ok()["events"]!.AsArray();
        events.Select(e => e!.ToJsonString()).ShouldBe(timeline.Reverse().Select(e => e!.ToJsonString()), "each event exactly as GET /events serves it");
    }

    [Fact]
    public async Task returns_all_events_of_a_long_timeline_without_paging()
    {
        // More than a page (100) and than one flush of the response (500), within the workspace's rate limit.
        const int count = 600;
        foreach (var chunk in new[] { Enumerable.Range(0, count).ToArray() }.Append(Enumerable.Range(0, 10).ToArray()))
        {
            var body = string.Join(',', chunk.Select(i => $$"""{"event_name":"ex-many","created_at":{{1_600_000_000 + i}},"user_id":"ex-long"}"""));
            (await api.Host.Send(HttpMethod.Post, "/events/bulk", $"[{body}]")).Status.ShouldBe(HttpStatusCode.OK, "the last chunk repeats ten events: duplicates");
        }

        var events = (await api.Export("user_id=ex-long")).Ok()["events"]!.AsArray();

        events.Count.ShouldBe(count);
        events.Select(e => e!["created_at"]!.GetValue<long>()).ShouldBe(Enumerable.Range(0, count).Select(i => 1_600_000_000L + i), "every event once, oldest first");
    }

    [Fact]
    public async Task returns_the_imported_summaries_and_the_per_name_summary()
    {
        await api.SeedUser("ex-summaries");

        var json = (await api.Export("email=EX-Summaries@example.org")).Ok();

        var imported = json["imported_summaries"]!.AsArray().Single()!;
        imported["event_name"]!.GetValue<string>().ShouldBe("placed-order");
        imported["count"]!.GetValue<long>().ShouldBe(4);
        imported["first"]!.GetValue<long>().ShouldBe(1_600_000_000);
        imported["last"]!.GetValue<long>().ShouldBe(1_650_000_000);
        var summary = (await api.Host.Get("/events?type=user&user_id=ex-summaries&summary=true")).Ok()["events"]!;
        json["summary"]!.ToJsonString().ShouldBe(summary.ToJsonString(), "the same per-name summary as summary=true");
        json["summary"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "placed-order")!["count"]!.GetValue<long>().ShouldBe(5, "1 tracked + 4 imported");
    }

    [Fact]
    public async Task finds_the_user_by_intercom_user_id()
    {
        var timelineId = await api.SeedUser("ex-by-id");

        (await api.Export($"intercom_user_id={timelineId}")).Ok()["user"]!["user_id"]!.GetValue<string>().ShouldBe("ex-by-id");
    }

    [Fact]
    public async Task answers_404_not_found_for_an_unknown_user()
    {
        (await api.Export("user_id=ex-nobody")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task answers_400_without_an_identifier()
    {
        (await api.Export("")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_not_found", "user_id");
    }

    [Fact]
    public async Task refuses_a_token_that_only_reads_events_with_403()
    {
        await api.SeedUser("ex-reader");
        var (_, reader) = await api.Host.CreateToken("acme", "events:read");

        (await api.Export("user_id=ex-reader", reader)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");
        (await api.Export("user_id=ex-reader", ApiFixture.AcmeToken)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task does_not_export_another_workspaces_user()
    {
        await api.SeedUser("ex-globex-only", "globex", ApiFixture.GlobexToken);

        (await api.Export("user_id=ex-globex-only")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }
}
