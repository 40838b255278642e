using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Summaries;

public sealed class when_summarising_a_users_events(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task Track(string userId, string name, long createdAt) =>
        (await api.Host.PostEvent(Scenarios.Event(name: name, userId: userId, createdAt: createdAt))).Status.ShouldBe(HttpStatusCode.Accepted);

    [Fact]
    public async Task counts_each_name_with_its_first_and_last_occurrence()
    {
        await Track("sum-1", "updated-profile", 1_458_295_515);
        await Track("sum-1", "updated-profile", 1_458_307_718);
        await Track("sum-1", "Updated.Profile", 1_458_300_000);
        await Track("sum-1", "signed-up", 1_458_000_000);

        var json = (await api.Host.Get("/events?type=user&user_id=sum-1&summary=true")).Json;

        json["type"]!.GetValue<string>().ShouldBe("event.summary");
        json["user_id"]!.GetValue<string>().ShouldBe("sum-1");
        var profile = json["events"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "updated-profile")!;
        profile["count"]!.GetValue<long>().ShouldBe(3);
        profile["first"]!.GetValue<string>().ShouldBe("2016-03-18T10:05:15.000Z");
        profile["last"]!.GetValue<string>().ShouldBe("2016-03-18T13:28:38.000Z");
        profile.AsObject().ContainsKey("description").ShouldBeTrue("Intercom's summary always has a description, null when none is set");
        profile["description"].ShouldBeNull();
        json["events"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task counts_an_event_in_the_very_next_summary_after_its_202()
    {
        for (var i = 0; i < 10; i++)
        {
            await Track("sum-2", "clicked", 1_700_000_000 + i);
            var count = (await api.Host.Get("/events?type=user&user_id=sum-2&summary=true")).Json["events"]![0]!["count"]!.GetValue<long>();
            count.ShouldBe(i + 1, "read-your-writes: the summary is built in the same transaction as the event");
        }
    }

    [Fact]
    public async Task does_not_count_duplicates()
    {
        await Track("sum-3", "paid", 1_700_000_000);
        await Track("sum-3", "paid", 1_700_000_000);

        (await api.Host.Get("/events?type=user&user_id=sum-3&summary=true")).Json["events"]![0]!["count"]!.GetValue<long>().ShouldBe(1);
    }

    [Fact]
    public async Task shows_the_description_the_workspace_gave_the_name()
    {
        await Track("sum-4", "invited-friend", 1_700_000_000);
        (await api.Host.Send(HttpMethod.Put, "/event-names/invited-friend", """{"description":"Sent an invitation"}""")).Status.ShouldBe(HttpStatusCode.OK);

        (await api.Host.Get("/events?type=user&user_id=sum-4&summary=true")).Json["events"]![0]!["description"]!.GetValue<string>().ShouldBe("Sent an invitation");
    }
}

public sealed class when_importing_event_summaries(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task<Response> Import(string body) => await api.Host.Send(HttpMethod.Post, "/events/summaries", body);

    private async Task<System.Text.Json.Nodes.JsonNode> SummaryOf(string userId, string name) =>
        (await api.Host.Get($"/events?type=user&user_id={userId}&summary=true")).Json["events"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == name)!;

    [Fact]
    public async Task answers_200_and_records_the_history_on_the_users_timeline()
    {
        var response = await Import("""{"user_id":"imp-1","event_summaries":{"event_name":"placed-order","count":12,"first":1389913941,"last":1391691571}}""");

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        var summary = await SummaryOf("imp-1", "placed-order");
        summary["count"]!.GetValue<long>().ShouldBe(12);
        summary["first"]!.GetValue<string>().ShouldBe("2014-01-16T23:12:21.000Z");
        (await api.EventsIn("acme")).Select(e => e.Data).OfType<EventStore.Domain.Timelines.EventSummaryImported>().ShouldContain(e => e.UserId == "imp-1");
    }

    [Fact]
    public async Task merges_imported_history_with_tracked_events()
    {
        (await api.Host.PostEvent(Scenarios.Event(name: "placed-order", userId: "imp-2", createdAt: 1_700_000_000))).Status.ShouldBe(HttpStatusCode.Accepted);

        (await Import("""{"user_id":"imp-2","event_summaries":[{"event_name":"Placed.Order","count":5,"first":1600000000,"last":1650000000}]}""")).Status.ShouldBe(HttpStatusCode.OK);

        var summary = await SummaryOf("imp-2", "placed-order");
        summary["count"]!.GetValue<long>().ShouldBe(6, "counts add up");
        summary["first"]!.GetValue<string>().ShouldBe("2020-09-13T12:26:40.000Z", "first is the earliest");
        summary["last"]!.GetValue<string>().ShouldBe("2023-11-14T22:13:20.000Z", "last is the latest");
    }

    [Fact]
    public async Task imports_the_same_summary_once_when_it_is_sent_again()
    {
        const string body = """{"user_id":"imp-3","event_summaries":{"event_name":"x","count":3,"first":1600000000,"last":1600000100}}""";
        await Import(body);
        var again = await Import(body);

        again.Json["duplicates"]!.GetValue<int>().ShouldBe(1);
        (await SummaryOf("imp-3", "x"))["count"]!.GetValue<long>().ShouldBe(3);
    }

    [Fact]
    public async Task imports_a_hundred_summaries_in_one_request()
    {
        var response = await Import(Summaries("imp-5", 100));

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        response.Json["imported"]!.GetValue<int>().ShouldBe(100);
    }

    [Fact]
    public async Task refuses_more_than_a_hundred_summaries_naming_the_field_and_imports_none()
    {
        var response = await Import(Summaries("imp-6", 101));

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "event_summaries");
        (await api.TimelinesIn("acme")).ShouldNotContain(t => t.UserId == "imp-6", "nothing of the request is recorded");
    }

    private static string Summaries(string user, int count) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            user_id = user,
            event_summaries = Enumerable.Range(0, count).Select(i => new { event_name = $"n-{i}", count = 1, first = 1_600_000_000, last = 1_600_000_000 }),
        });

    [Theory]
    [InlineData("""{"user_id":"imp-4"}""", "event_summaries")]
    [InlineData("""{"user_id":"imp-4","event_summaries":[]}""", "event_summaries")]
    [InlineData("""{"event_summaries":{"event_name":"x","count":1,"first":1600000000,"last":1600000000}}""", "user_id")]
    [InlineData("""{"user_id":"imp-4","event_summaries":{"event_name":"x","count":-1,"first":1600000000,"last":1600000000}}""", "event_summaries.count")]
    [InlineData("""{"user_id":"imp-4","event_summaries":{"event_name":"x","count":1,"first":1600000001,"last":1600000000}}""", "event_summaries.first")]
    [InlineData("""{"user_id":"imp-4","event_summaries":[{"event_name":"x","count":1,"first":1600000000000,"last":1600000000000}]}""", "event_summaries[0].first")]
    [InlineData("""{"user_id":"imp-4","event_summaries":[{"event_name":"","count":1,"first":1600000000,"last":1600000000}]}""", "event_summaries[0].event_name")]
    [InlineData("""{"user_id":"imp-4","event_summaries":[{"event_name":"x","count":"1","first":1600000000,"last":1600000000}]}""", "event_summaries[0].count")]
    public async Task refuses_invalid_summaries_naming_the_field(string body, string field)
    {
        var response = await Import(body);

        response.Status.ShouldBe(HttpStatusCode.BadRequest, response.Body);
        response.Errors().ShouldContain(e => e.Field == field, response.Body);
    }
}
