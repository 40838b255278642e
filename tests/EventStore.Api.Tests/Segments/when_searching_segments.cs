using System.Net;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Segments.SegmentScenarios;

namespace EventStore.Api.Tests.Segments;

/// <summary>POST /segments/search: users matching conditions on events, combined with and / or / not.</summary>
public sealed class when_searching_segments(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly long Now = Scenarios.Now;

    private const string Example = """
        {"query":{"and":[
          {"event_name":"placed-order","count_gt":2},
          {"event_name":"invited-friend","last_less_than_days_ago":30},
          {"not":{"event_name":"cancelled-plan"}}]}}
        """;

    // placed-order count / invited-friend last (days ago) / cancelled-plan:
    // u1 3 / 5 / -   u2 3 / 60 / -   u3 1 / 1 / -   u4 4 / 2 / yes   u5 - / 3 / -   u6 only viewed-page   u7 5 / 10 / -
    private Task Population() => api.SeedOnce(async () =>
    {
        async Task Orders(string user, int count)
        {
            for (var i = 1; i <= count; i++)
            {
                await api.Did(user, "placed-order", Now - (i * Day));
            }
        }

        await Orders("u1", 3);
        await Orders("u2", 3);
        await Orders("u3", 1);
        await Orders("u4", 4);
        await Orders("u7", 5);
        foreach (var (user, daysAgo) in new[] { ("u1", 5), ("u2", 60), ("u3", 1), ("u4", 2), ("u5", 3), ("u7", 10) })
        {
            await api.Did(user, "invited-friend", Now - (daysAgo * Day));
        }

        await api.Did("u4", "cancelled-plan", Now - Day);
        await api.Did("u6", "viewed-page", Now - Day);
    });

    [Fact]
    public async Task finds_the_users_who_did_this_and_that_but_never_the_other()
    {
        await Population();

        var result = (await api.Search(Example)).Ok();

        result["type"]!.GetValue<string>().ShouldBe("user.list");
        result.UserIds().ShouldBe(["u1", "u7"], ignoreOrder: true,
            "u2 invited too long ago, u3 ordered once, u4 cancelled, u5 never ordered, u6 did none of it");
        result["total_count"]!.GetValue<long>().ShouldBe(2);
    }

    [Fact]
    public async Task describes_each_user_by_user_id_email_and_service_id()
    {
        await Population();

        var user = (await api.Search(Example)).Ok()["users"]!.AsArray().Single(u => u!["user_id"]!.GetValue<string>() == "u1")!;

        var id = (await api.TimelinesIn("acme")).Single(t => t.UserId == "u1").Id;
        user.ToJsonString().ShouldBe($$"""{"type":"user","user_id":"u1","email":"u1@example.org","intercom_user_id":"{{id}}"}""");
    }

    [Fact]
    public async Task finds_the_users_who_did_either()
    {
        await Population();

        var result = (await api.Search("""{"query":{"or":[{"event_name":"cancelled-plan"},{"event_name":"placed-order","count_eq":1}]}}""")).Ok();

        result.UserIds().ShouldBe(["u3", "u4"], ignoreOrder: true);
    }

    [Fact]
    public async Task matches_nobody_with_a_name_never_tracked()
    {
        await Population();

        var result = (await api.Search("""{"query":{"event_name":"never-happened"}}""")).Ok();

        result["total_count"]!.GetValue<long>().ShouldBe(0);
        result.UserIds().ShouldBeEmpty();
    }

    [Fact]
    public async Task matches_everybody_with_not_of_a_name_never_tracked()
    {
        await Population();

        var result = (await api.Search("""{"query":{"not":{"event_name":"never-happened"}}, "per_page": 100}""")).Ok();

        result.UserIds().ShouldBe(["u1", "u2", "u3", "u4", "u5", "u6", "u7"], ignoreOrder: true, "every user of the workspace");
    }

    [Fact]
    public async Task normalizes_event_names_as_on_write()
    {
        await Population();

        var result = (await api.Search("""{"query":{"event_name":"Cancelled.Plan"}}""")).Ok();

        result.UserIds().ShouldBe(["u4"]);
    }

    [Fact]
    public async Task pages_through_every_match_exactly_once()
    {
        await Population();
        const string query = """{"not":{"event_name":"cancelled-plan"}}""";
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;

        do
        {
            var after = cursor is null ? "" : $""","starting_after":"{cursor}" """;
            var page = (await api.Search($$"""{"query":{{query}},"per_page":2{{after}}}""")).Ok();
            pages++;
            page["total_count"]!.GetValue<long>().ShouldBe(6, "total_count is the whole set on every page");
            seen.AddRange(page.UserIds());
            cursor = page["pages"]!["next"]?["starting_after"]?.GetValue<string>();
            pages.ShouldBeLessThan(10, "paging must end");
        }
        while (cursor is not null);

        pages.ShouldBe(3);
        seen.ShouldBe(["u1", "u2", "u3", "u5", "u6", "u7"], ignoreOrder: true, "every match once, none twice");
        seen.Distinct().Count().ShouldBe(seen.Count);
    }

    [Fact]
    public async Task rejects_a_tampered_cursor()
    {
        await Population();
        var cursor = await NextCursor("""{"not":{"event_name":"cancelled-plan"}}""");
        var tampered = (cursor[0] == 'A' ? 'B' : 'A') + cursor[1..];

        var response = await api.Search($$$"""{"query":{"not":{"event_name":"cancelled-plan"}},"per_page":1,"starting_after":"{{{tampered}}}"}""");

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "starting_after");
    }

    [Fact]
    public async Task rejects_a_cursor_issued_for_another_query()
    {
        await Population();
        var cursor = await NextCursor("""{"not":{"event_name":"cancelled-plan"}}""");

        var response = await api.Search($$$"""{"query":{"not":{"event_name":"placed-order"}},"per_page":1,"starting_after":"{{{cursor}}}"}""");

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "starting_after");
    }

    [Fact]
    public async Task accepts_twenty_conditions_nested_five_deep()
    {
        var conditions = Conditions(19);
        var fiveDeep = """{"not":{"not":{"not":{"event_name":"placed-order"}}}}"""; // or > not > not > not > condition

        var response = await api.Search($$$"""{"query":{"or":[{{{conditions}}},{{{fiveDeep}}}]}}""");

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
    }

    public static TheoryData<string, string, string, string> Malformed => new()
    {
        // description, body, expected code, expected field
        { "body an array", """[]""", "type_mismatch", "body" },
        { "no query", """{"per_page":10}""", "parameter_not_found", "query" },
        { "unknown body key", """{"query":{"event_name":"a"},"pagination":{}}""", "parameter_invalid", "pagination" },
        { "query an array", """{"query":[{"event_name":"a"}]}""", "type_mismatch", "query" },
        { "empty query", """{"query":{}}""", "parameter_invalid", "query" },
        { "condition and operator in one node", """{"query":{"event_name":"a","and":[{"event_name":"b"}]}}""", "parameter_invalid", "query" },
        { "two operators in one node", """{"query":{"and":[{"event_name":"a"}],"or":[{"event_name":"b"}]}}""", "parameter_invalid", "query" },
        { "unknown key in a condition", """{"query":{"and":[{"event_name":"a"},{"event_name":"b","count_gte":1}]}}""", "parameter_invalid", "query.and[1].count_gte" },
        { "unknown key beside an operator", """{"query":{"not":{"event_name":"a"},"negate":true}}""", "parameter_invalid", "query.negate" },
        { "filter as a string", """{"query":{"and":[{"event_name":"a"},{"event_name":"b"},{"event_name":"c","count_gt":"2"}]}}""", "type_mismatch", "query.and[2].count_gt" },
        { "filter fractional", """{"query":{"event_name":"a","count_lt":2.5}}""", "parameter_invalid", "query.count_lt" },
        { "filter negative", """{"query":{"event_name":"a","last_less_than_days_ago":-1}}""", "parameter_invalid", "query.last_less_than_days_ago" },
        { "timestamp in milliseconds", """{"query":{"event_name":"a","first_before":1700000000000}}""", "parameter_invalid", "query.first_before" },
        { "event_name a number", """{"query":{"or":[{"event_name":7}]}}""", "type_mismatch", "query.or[0].event_name" },
        { "event_name blank", """{"query":{"not":{"event_name":"  "}}}""", "parameter_invalid", "query.not.event_name" },
        { "empty and", """{"query":{"and":[]}}""", "parameter_invalid", "query.and" },
        { "or not an array", """{"query":{"or":{"event_name":"a"}}}""", "type_mismatch", "query.or" },
        { "not an array", """{"query":{"not":[{"event_name":"a"}]}}""", "type_mismatch", "query.not" },
        { "child not an object", """{"query":{"and":[{"event_name":"a"},"b"]}}""", "type_mismatch", "query.and[1]" },
        { "21 children", $$$"""{"query":{"or":[{{{Conditions(21)}}}]}}""", "parameter_invalid", "query.or" },
        { "21 conditions", $$$"""{"query":{"and":[{"or":[{{{Conditions(11)}}}]},{"or":[{{{Conditions(10)}}}]}]}}""", "parameter_invalid", "query.and[1].or[9]" },
        { "six levels deep", """{"query":{"not":{"not":{"not":{"not":{"not":{"event_name":"a"}}}}}}}""", "parameter_invalid", "query.not.not.not.not.not" },
        { "per_page zero", """{"query":{"event_name":"a"},"per_page":0}""", "parameter_invalid", "per_page" },
        { "per_page a string", """{"query":{"event_name":"a"},"per_page":"10"}""", "type_mismatch", "per_page" },
        { "starting_after a number", """{"query":{"event_name":"a"},"starting_after":5}""", "type_mismatch", "starting_after" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task answers_400_naming_the_path(string description, string body, string code, string field)
    {
        var response = await api.Search(body);

        response.Status.ShouldBe(HttpStatusCode.BadRequest, $"{description}: {response.Body}");
        response.Errors().ShouldContain(e => e.Code == code && e.Field == field, $"{description}: {response.Body}");
    }

    private static string Conditions(int count) => string.Join(',', Enumerable.Range(0, count).Select(i => $$"""{"event_name":"e{{i}}"}"""));

    private async Task<string> NextCursor(string query)
    {
        var page = (await api.Search($$"""{"query":{{query}},"per_page":1}""")).Ok();
        return page["pages"]!["next"]!["starting_after"]!.GetValue<string>();
    }
}
