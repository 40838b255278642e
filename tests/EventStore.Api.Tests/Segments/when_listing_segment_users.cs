using System.Net;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Segments.SegmentScenarios;

namespace EventStore.Api.Tests.Segments;

/// <summary>GET /segments/{name}/users: who did an event, filtered on count, first and last occurrence, paged by cursor.</summary>
public sealed class when_listing_segment_users(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly long Now = Scenarios.Now;

    // placed-order, per user: alice 3 (first 50 days ago, last 1), bob 1 (40), carol 5 (10 .. 6),
    // dave 2 (100, 90), frank 1 (2). erin only invited a friend.
    private Task Population() => api.SeedOnce(async () =>
    {
        foreach (var daysAgo in new[] { 50, 20, 1 })
        {
            await api.Did("alice", "placed-order", Now - (daysAgo * Day));
        }

        await api.Did("bob", "placed-order", Now - (40 * Day));
        foreach (var daysAgo in new[] { 10, 9, 8, 7, 6 })
        {
            await api.Did("carol", "placed-order", Now - (daysAgo * Day));
        }

        await api.Did("dave", "placed-order", Now - (100 * Day));
        await api.Did("dave", "placed-order", Now - (90 * Day));
        await api.Did("frank", "placed-order", Now - (2 * Day));
        await api.Did("erin", "invited-friend", Now - (3 * Day));
        await api.Did("alice", "invited-friend", Now - (3 * Day));
        await api.Did("alice", "opened/closed", Now - (3 * Day));
    });

    public static TheoryData<string, string[]> Filters => new()
    {
        { "count_gt=2", ["alice", "carol"] },
        { "count_lt=2", ["bob", "frank"] },
        { "count_eq=2", ["dave"] },
        { "count_ne=2", ["alice", "bob", "carol", "frank"] },
        { $"first_before={Now - (45 * Day)}", ["alice", "dave"] },
        { $"first_after={Now - (45 * Day)}", ["bob", "carol", "frank"] },
        { $"last_before={Now - (30 * Day)}", ["bob", "dave"] },
        { $"last_after={Now - (30 * Day)}", ["alice", "carol", "frank"] },
        { "first_more_than_days_ago=45", ["alice", "dave"] },
        { "first_less_than_days_ago=45", ["bob", "carol", "frank"] },
        { "last_more_than_days_ago=30", ["bob", "dave"] },
        { "last_less_than_days_ago=30", ["alice", "carol", "frank"] },
        { "count_gt=1&last_less_than_days_ago=30&first_more_than_days_ago=20", ["alice"] },
        { "count_gt=100", [] },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task lists_exactly_the_users_the_filters_select(string filters, string[] expected)
    {
        await Population();

        var list = (await api.Get($"/segments/placed-order/users?{filters}")).Ok();

        list.UserIds().ShouldBe(expected, ignoreOrder: true, $"{filters} selects {string.Join(", ", expected)}");
        list["total_count"]!.GetValue<long>().ShouldBe(expected.Length, $"total_count counts the filtered set for {filters}");
    }

    [Fact]
    public async Task lists_every_user_who_did_it_without_filters()
    {
        await Population();

        var list = (await api.Get("/segments/placed-order/users")).Ok();

        list["type"]!.GetValue<string>().ShouldBe("segment.user.list");
        list["segment"]!.GetValue<string>().ShouldBe("placed-order");
        list.UserIds().ShouldBe(["alice", "bob", "carol", "dave", "frank"], ignoreOrder: true, "erin never placed an order");
    }

    [Fact]
    public async Task describes_each_member_with_their_count_first_and_last()
    {
        await Population();

        var list = (await api.Get("/segments/placed-order/users")).Ok();

        var alice = list["users"]!.AsArray().Single(u => u!["user_id"]!.GetValue<string>() == "alice")!;
        alice["type"]!.GetValue<string>().ShouldBe("segment.user");
        alice["email"]!.GetValue<string>().ShouldBe("alice@example.org");
        alice["intercom_user_id"]!.GetValue<string>().ShouldBe((await api.TimelinesIn("acme")).Single(t => t.UserId == "alice").Id);
        alice["count"]!.GetValue<long>().ShouldBe(3);
        alice["first"]!.GetValue<string>().ShouldBe(Iso(Now - (50 * Day)));
        alice["last"]!.GetValue<string>().ShouldBe(Iso(Now - Day));
    }

    [Fact]
    public async Task pages_through_every_user_exactly_once()
    {
        await Population();
        var seen = new List<string>();
        var url = "/segments/placed-order/users?per_page=2";
        var pages = 0;

        while (url is not null)
        {
            var page = (await api.Get(url)).Ok();
            pages++;
            page["total_count"]!.GetValue<long>().ShouldBe(5, "total_count is the whole set on every page");
            page["pages"]!["per_page"]!.GetValue<int>().ShouldBe(2);
            seen.AddRange(page.UserIds());
            url = page["pages"]!["next"]?.GetValue<string>() is { } next ? new Uri(next).PathAndQuery : null!;
            pages.ShouldBeLessThan(10, "paging must end");
        }

        pages.ShouldBe(3);
        seen.ShouldBe(["alice", "bob", "carol", "dave", "frank"], ignoreOrder: true, "every user once, none twice");
        seen.Distinct().Count().ShouldBe(seen.Count);
    }

    [Fact]
    public async Task keeps_the_filters_in_the_next_link()
    {
        await Population();

        var first = (await api.Get("/segments/placed-order/users?per_page=1&count_ne=2")).Ok();
        var second = (await api.Get(new Uri(first["pages"]!["next"]!.GetValue<string>()).PathAndQuery)).Ok();

        second["total_count"]!.GetValue<long>().ShouldBe(4, "the next page keeps count_ne=2");
    }

    [Fact]
    public async Task finds_the_segment_under_any_spelling_of_its_name()
    {
        await Population();

        var list = (await api.Get("/segments/Placed.Order/users")).Ok();

        list["segment"]!.GetValue<string>().ShouldBe("placed-order");
        list["total_count"]!.GetValue<long>().ShouldBe(5);
    }

    [Fact]
    public async Task finds_a_name_with_a_slash_sent_escaped()
    {
        await Population();

        var list = (await api.Get("/segments/opened%2Fclosed/users")).Ok();

        list["segment"]!.GetValue<string>().ShouldBe("opened/closed");
        list.UserIds().ShouldBe(["alice"]);
    }

    [Fact]
    public async Task answers_404_for_a_name_never_tracked()
    {
        await Population();

        var response = await api.Get("/segments/never-happened/users");

        response.ShouldBeError(HttpStatusCode.NotFound, "not_found", "event_name");
    }

    [Fact]
    public async Task rejects_a_tampered_cursor()
    {
        await Population();
        var cursor = await NextCursor("/segments/placed-order/users?per_page=1");
        var tampered = (cursor[0] == 'A' ? 'B' : 'A') + cursor[1..];

        var response = await api.Get($"/segments/placed-order/users?per_page=1&starting_after={tampered}");

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "starting_after");
    }

    [Fact]
    public async Task rejects_a_cursor_of_another_segment()
    {
        await Population();
        var cursor = await NextCursor("/segments/placed-order/users?per_page=1");

        var response = await api.Get($"/segments/invited-friend/users?per_page=1&starting_after={cursor}");

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "starting_after");
    }

    [Fact]
    public async Task rejects_a_cursor_issued_for_other_filters()
    {
        await Population();
        var cursor = await NextCursor("/segments/placed-order/users?per_page=1&count_gt=0");

        var response = await api.Get($"/segments/placed-order/users?per_page=1&count_gt=1&starting_after={cursor}");

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "starting_after");
    }

    [Theory]
    [InlineData("per_page=0", "per_page")]
    [InlineData("per_page=101", "per_page")]
    [InlineData("per_page=ten", "per_page")]
    [InlineData("count_gt=-1", "count_gt")]
    [InlineData("count_lt=2.5", "count_lt")]
    [InlineData("count_eq=", "count_eq")]
    [InlineData("count_ne=x", "count_ne")]
    [InlineData("first_before=1700000000000", "first_before")]
    [InlineData("first_after=-5", "first_after")]
    [InlineData("last_before=soon", "last_before")]
    [InlineData("last_after=1e9", "last_after")]
    [InlineData("first_more_than_days_ago=-1", "first_more_than_days_ago")]
    [InlineData("first_less_than_days_ago=99999999999999", "first_less_than_days_ago")]
    [InlineData("last_more_than_days_ago=1.5", "last_more_than_days_ago")]
    [InlineData("last_less_than_days_ago=thirty", "last_less_than_days_ago")]
    [InlineData("count_gt=1&count_gt=2", "count_gt")]
    public async Task answers_400_naming_a_bad_parameter(string query, string field)
    {
        var response = await api.Get($"/segments/placed-order/users?{query}");

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", field);
    }

    private async Task<string> NextCursor(string url)
    {
        var next = (await api.Get(url)).Ok()["pages"]!["next"]!.GetValue<string>();
        return System.Web.HttpUtility.ParseQueryString(new Uri(next).Query)["starting_after"]!;
    }

    private static string Iso(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
