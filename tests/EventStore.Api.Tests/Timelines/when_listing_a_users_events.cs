using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Timelines;

public sealed class when_listing_a_users_events(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task Track(string userId, string name, long createdAt, object? metadata = null, string? email = null)
    {
        var response = await api.Host.PostEvent(Scenarios.Event(name: name, userId: userId, createdAt: createdAt, metadata: metadata, email: email));
        response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
    }

    [Fact]
    public async Task lists_them_newest_first_as_intercom_event_objects()
    {
        await Track("list-1", "first", 1_700_000_001, email: "list1@example.org");
        await Track("list-1", "second", 1_700_000_002, metadata: new { invite_code = "ADDAFRIEND" });

        var response = await api.Host.Get("/events?type=user&user_id=list-1");

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        var json = response.Json;
        json["type"]!.GetValue<string>().ShouldBe("event.list");
        var events = json["events"]!.AsArray();
        events.Select(e => e!["event_name"]!.GetValue<string>()).ShouldBe(["second", "first"]);
        var newest = events[0]!;
        newest["type"]!.GetValue<string>().ShouldBe("event");
        newest["created_at"]!.GetValue<long>().ShouldBe(1_700_000_002);
        newest["user_id"]!.GetValue<string>().ShouldBe("list-1");
        newest["email"]!.GetValue<string>().ShouldBe("list1@example.org");
        newest["intercom_user_id"]!.GetValue<string>().ShouldMatch("^[0-9a-f]{24}$");
        newest["id"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        newest["metadata"]!["invite_code"]!.GetValue<string>().ShouldBe("ADDAFRIEND");
    }

    [Fact]
    public async Task returns_every_metadata_type_exactly_as_sent_in_sent_order()
    {
        const string metadata = """{"z_last":"text","load":3.670,"contact_date":1392036272,"article":"https://example.org/a","rich":{"url":"https://example.org/b","value":"the dude abides"},"price":{"amount":34999,"currency":"eur"}}""";
        var post = await api.Host.Send(HttpMethod.Post, "/events", $$"""{"event_name":"typed","created_at":1700000000,"user_id":"list-2","metadata":{{metadata}} }""");
        post.Status.ShouldBe(HttpStatusCode.Accepted, post.Body);

        var response = await api.Host.Get("/events?type=user&user_id=list-2");

        response.Json["events"]![0]!["metadata"]!.ToJsonString().ShouldBe(metadata);
    }

    [Fact]
    public async Task finds_the_user_by_email_and_by_service_id()
    {
        await Track("list-3", "x", 1_700_000_000, email: "List3@Example.org");
        var byUserId = (await api.Host.Get("/events?type=user&user_id=list-3")).Json["events"]![0]!;
        var serviceId = byUserId["intercom_user_id"]!.GetValue<string>();

        (await api.Host.Get("/events?type=user&email=list3%40example.org")).Json["events"]!.AsArray().Count.ShouldBe(1);
        (await api.Host.Get($"/events?type=user&intercom_user_id={serviceId}")).Json["events"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task pages_back_through_the_whole_history_without_skipping_or_repeating()
    {
        for (var i = 0; i < 23; i++)
        {
            await Track("list-4", $"step-{i % 3}", 1_700_000_000 + (i / 2)); // pairs share a second: ties are ordered too
        }

        var events = await api.Host.WalkTimeline("/events?type=user&user_id=list-4&per_page=5");

        events.Count.ShouldBe(23);
        events.Select(e => e["id"]!.GetValue<string>()).Distinct().Count().ShouldBe(23);
        events.Select(e => e["created_at"]!.GetValue<long>()).ShouldBeInOrder(SortDirection.Descending);
    }

    [Fact]
    public async Task leaves_next_out_on_the_last_page()
    {
        await Track("list-5", "only", 1_700_000_000);

        var pages = (await api.Host.Get("/events?type=user&user_id=list-5")).Json["pages"]!;

        pages["next"].ShouldBeNull();
        pages["since"]!.GetValue<string>().ShouldStartWith("http://localhost/events?");
    }

    [Fact]
    public async Task neither_skips_nor_repeats_while_events_are_appended_during_paging()
    {
        for (var i = 0; i < 30; i++)
        {
            await Track("list-6", "before-paging", 1_700_000_000 + i);
        }

        var existing = (await api.Host.WalkTimeline("/events?type=user&user_id=list-6&per_page=100")).Select(e => e["id"]!.GetValue<string>()).ToList();
        var seen = new List<string>();
        var url = "/events?type=user&user_id=list-6&per_page=4";
        for (var extra = 0; url is not null; extra++)
        {
            extra.ShouldBeLessThan(30, "paging 30 events by 4 must end");
            var json = (await api.Host.Get(url)).Json;
            seen.AddRange(json["events"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()));
            url = json["pages"]?["next"]?.GetValue<string>() is { } next ? Reads.PathOf(next) : null;
            // Concurrent writers: newer events (above the cursor) and older ones (below it).
            await Task.WhenAll(
                Track("list-6", "newer", 1_790_000_000 + extra),
                Track("list-6", "older", 1_600_000_000 + extra));
        }

        existing.Count.ShouldBe(30);
        seen.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ShouldBeEmpty("no event is served twice");
        existing.Except(seen).ShouldBeEmpty("every event that existed when paging began is served, none skipped");
    }

    [Fact]
    public async Task polls_forward_with_since_for_events_that_arrive_later()
    {
        await Track("list-7", "old", 1_700_000_000);
        var since = (await api.Host.Get("/events?type=user&user_id=list-7")).Json["pages"]!["since"]!.GetValue<string>();

        (await api.Host.Get(Reads.PathOf(since))).Json["events"]!.AsArray().ShouldBeEmpty("nothing arrived yet");
        await Track("list-7", "new-1", 1_600_000_000);
        await Track("list-7", "new-2", 1_700_000_500);

        var polled = await api.Host.PollSince(since, 2);

        polled["events"]!.AsArray().Select(e => e!["event_name"]!.GetValue<string>()).ShouldBe(["new-1", "new-2"], ignoreOrder: true);
        var next = polled["pages"]!["since"]!.GetValue<string>();
        (await api.Host.Get(Reads.PathOf(next))).Json["events"]!.AsArray().ShouldBeEmpty("the next poll starts after what was served");
    }

    [Theory]
    [InlineData("/events?type=user&user_id=list-8&per_page=0", "per_page")]
    [InlineData("/events?type=user&user_id=list-8&per_page=101", "per_page")]
    [InlineData("/events?type=user&user_id=list-8&per_page=ten", "per_page")]
    [InlineData("/events?type=company&user_id=list-8", "type")]
    [InlineData("/events?user_id=list-8", "type")]
    [InlineData("/events?type=user", "user_id")]
    [InlineData("/events?type=user&user_id=list-8&before=bm90LWEtY3Vyc29y", "before")]
    [InlineData("/events?type=user&user_id=list-8&since=bm90LWEtY3Vyc29y", "since")]
    public async Task answers_400_naming_the_parameter(string url, string field)
    {
        await Track("list-8", "x", 1_700_000_000);

        (await api.Host.Get(url)).ShouldBeError(HttpStatusCode.BadRequest, field == "type" && !url.Contains("type=") ? "parameter_not_found" : field == "user_id" ? "parameter_not_found" : "parameter_invalid", field);
    }

    [Fact]
    public async Task refuses_a_cursor_issued_for_another_user()
    {
        for (var i = 0; i < 3; i++)
        {
            await Track("list-9", "x", 1_700_000_000 + i);
        }

        await Track("list-10", "x", 1_700_000_000);
        var next = (await api.Host.Get("/events?type=user&user_id=list-9&per_page=1")).Json["pages"]!["next"]!.GetValue<string>();

        var borrowed = Reads.PathOf(next).Replace("user_id=list-9", "user_id=list-10");
        (await api.Host.Get(borrowed)).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "before");
    }

    [Fact]
    public async Task answers_404_for_an_unknown_user() =>
        (await api.Host.Get("/events?type=user&user_id=nobody")).ShouldBeError(HttpStatusCode.NotFound, "not_found");

    [Fact]
    public async Task does_not_show_one_workspaces_user_to_another()
    {
        await Track("list-11", "x", 1_700_000_000);

        (await api.Host.Get("/events?type=user&user_id=list-11", ApiFixture.GlobexToken)).ShouldBeError(HttpStatusCode.NotFound, "not_found");
        (await api.Host.Get("/events?type=user&user_id=list-11&summary=true", ApiFixture.GlobexToken)).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }
}
