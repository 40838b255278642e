using System.Net;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Segments.SegmentScenarios;

namespace EventStore.Api.Tests.Segments;

/// <summary>GET /segments and GET /segments/{name}: each event name of the workspace with its user and event counts.</summary>
public sealed class when_listing_segments(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const long Monday = 1_458_295_515; // 2016-03-18T10:05:15Z

    // placed-order: alice twice, bob once (Monday .. Monday + 1h). Then one event each of five more names.
    private Task Population() => api.SeedOnce(async () =>
    {
        await api.Did("alice", "placed-order", Monday);
        await api.Did("alice", "placed-order", Monday + 3600);
        await api.Did("bob", "Placed.Order", Monday + 1800);
        foreach (var name in new[] { "viewed-page", "invited-friend", "cancelled-plan", "updated-profile", "added-card" })
        {
            await api.Did("carol", name, Monday);
        }
    });

    [Fact]
    public async Task describes_a_segment_with_its_users_events_first_and_last()
    {
        await Population();

        var segment = (await api.Get("/segments/placed-order")).Ok();

        segment.ToJsonString().ShouldBe(
            """{"type":"segment","name":"placed-order","user_count":2,"event_count":3,"first":"2016-03-18T10:05:15.000Z","last":"2016-03-18T11:05:15.000Z","description":null,"archived":false}""");
    }

    [Fact]
    public async Task lists_every_name_sorted_with_the_same_segment_objects()
    {
        await Population();

        var list = (await api.Get("/segments?per_page=100")).Ok();

        list["type"]!.GetValue<string>().ShouldBe("segment.list");
        list["segments"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ShouldBe(
            ["added-card", "cancelled-plan", "invited-friend", "placed-order", "updated-profile", "viewed-page"], "sorted by name");
        var placedOrder = list["segments"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "placed-order")!;
        placedOrder.ToJsonString().ShouldBe((await api.Get("/segments/placed-order")).Ok().ToJsonString(), "one segment object shape");
        list["pages"]!.ToJsonString().ShouldBe("""{"type":"pages","per_page":100}""", "no next on the last page");
    }

    [Fact]
    public async Task pages_through_the_names_with_a_cursor()
    {
        await Population();
        var names = new List<string>();
        var url = "/segments?per_page=4";

        while (url is not null)
        {
            var page = (await api.Get(url)).Ok();
            names.AddRange(page["segments"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));
            url = page["pages"]!["next"]?.GetValue<string>() is { } next ? new Uri(next).PathAndQuery : null!;
            names.Count.ShouldBeLessThan(20, "paging must end");
        }

        names.ShouldBe(["added-card", "cancelled-plan", "invited-friend", "placed-order", "updated-profile", "viewed-page"]);
    }

    [Fact]
    public async Task finds_a_segment_under_any_spelling_of_its_name()
    {
        await Population();

        var segment = (await api.Get("/segments/PLACED$ORDER")).Ok();

        segment["name"]!.GetValue<string>().ShouldBe("placed-order");
    }

    [Fact]
    public async Task answers_404_for_a_name_never_tracked()
    {
        await Population();

        (await api.Get("/segments/never-happened")).ShouldBeError(HttpStatusCode.NotFound, "not_found", "event_name");
    }

    [Fact]
    public async Task rejects_a_tampered_cursor()
    {
        await Population();
        var next = (await api.Get("/segments?per_page=1")).Ok()["pages"]!["next"]!.GetValue<string>();
        var cursor = System.Web.HttpUtility.ParseQueryString(new Uri(next).Query)["starting_after"]!;

        var response = await api.Get($"/segments?per_page=1&starting_after={cursor}x");

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "starting_after");
    }

    [Theory]
    [InlineData("per_page=0", "per_page")]
    [InlineData("per_page=1000", "per_page")]
    [InlineData("include_archived=maybe", "include_archived")]
    [InlineData("starting_after=not-a-cursor", "starting_after")]
    public async Task answers_400_naming_a_bad_parameter(string query, string field)
    {
        (await api.Get($"/segments?{query}")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", field);
    }
}
