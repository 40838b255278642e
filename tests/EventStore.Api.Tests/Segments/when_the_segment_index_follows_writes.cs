using Alba;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Privacy;
using static EventStore.Api.Tests.Segments.SegmentScenarios;

namespace EventStore.Api.Tests.Segments;

/// <summary>
/// Each node keeps its segment index in memory and catches it up before every read (ADR 0020): a read sees every event
/// committed before it, on this node or another, an erased user leaves every segment, and paging stays exact while
/// users join.
/// </summary>
public sealed class when_the_segment_index_follows_writes(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly long Now = Scenarios.Now;

    [Fact]
    public async Task a_search_includes_an_event_committed_just_before_it()
    {
        await api.Did("fresh-1", "fresh-signup", Now - Day);
        (await api.Search("""{"query":{"event_name":"fresh-signup"}}""")).Ok().UserIds().ShouldBe(["fresh-1"]);

        await api.Did("fresh-2", "fresh-signup", Now - Day);
        await api.Did("fresh-1", "fresh-signup", Now - (2 * Day));
        var search = (await api.Search("""{"query":{"event_name":"fresh-signup","count_gt":1}}""")).Ok();
        var list = (await api.Get("/segments/fresh-signup/users")).Ok();

        search.UserIds().ShouldBe(["fresh-1"], "fresh-1's second event counts at once");
        list.UserIds().ShouldBe(["fresh-1", "fresh-2"], ignoreOrder: true, "fresh-2 is a member as soon as its event is accepted");
    }

    [Fact]
    public async Task a_node_sees_what_another_node_committed_just_before()
    {
        await api.Did("other-node-1", "other-node-visit", Now - Day);
        await using var node = await AlbaHost.For<Program>(builder => ApiFixture.ConfigureService(builder, api.ConnectionString, new Dictionary<string, string>()));
        (await node.Send(HttpMethod.Post, "/segments/search", """{"query":{"event_name":"other-node-visit"}}""")).Ok().UserIds().ShouldBe(["other-node-1"]);

        await api.Did("other-node-2", "other-node-visit", Now - Day);
        var result = (await node.Send(HttpMethod.Post, "/segments/search", """{"query":{"event_name":"other-node-visit"}}""")).Ok();

        result.UserIds().ShouldBe(["other-node-1", "other-node-2"], ignoreOrder: true, "the event was committed through the first node before the second was asked");
    }

    [Fact]
    public async Task an_erased_user_leaves_every_segment()
    {
        foreach (var (user, name) in new[] { ("erased-1", "erased-order"), ("erased-1", "erased-visit"), ("kept-1", "erased-order") })
        {
            await api.Did(user, name, Now - Day);
        }

        (await api.Search("""{"query":{"or":[{"event_name":"erased-order"},{"event_name":"erased-visit"}]}}""")).Ok().UserIds().ShouldContain("erased-1");

        (await api.Erase(new { user_id = "erased-1" })).Ok();

        var either = (await api.Search("""{"query":{"or":[{"event_name":"erased-order"},{"event_name":"erased-visit"}]}}""")).Ok();
        either.UserIds().ShouldBe(["kept-1"]);
        either["total_count"]!.GetValue<long>().ShouldBe(1);
        (await api.Search("""{"query":{"not":{"event_name":"erased-order"}},"per_page":100}""")).Ok().UserIds().ShouldNotContain("erased-1", "nor is the user in the universe");
        var list = (await api.Get("/segments/erased-visit/users")).Ok();
        list.UserIds().ShouldBeEmpty();
        list["total_count"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task pages_every_member_once_while_users_join()
    {
        var members = Enumerable.Range(1, 6).Select(i => $"paged-{i}").ToList();
        foreach (var user in members)
        {
            await api.Did(user, "paged-visit", Now - Day);
        }

        var seen = new List<string>();
        string? cursor = null;
        var joined = 0;
        do
        {
            var after = cursor is null ? "" : $""","starting_after":"{cursor}" """;
            var page = (await api.Search($$"""{"query":{"event_name":"paged-visit"},"per_page":2{{after}}}""")).Ok();
            seen.AddRange(page.UserIds());
            cursor = page["pages"]!["next"]?["starting_after"]?.GetValue<string>();
            // Users join between pages; each lands before or after the cursor, by its random service id.
            await api.Did($"paged-late-{++joined}", "paged-visit", Now - Day);
            joined.ShouldBeLessThan(20, "paging must end");
        }
        while (cursor is not null);

        seen.Distinct().Count().ShouldBe(seen.Count, "no member twice");
        seen.ShouldBeSubsetOf(members.Concat(Enumerable.Range(1, joined).Select(i => $"paged-late-{i}")));
        members.ShouldBeSubsetOf(seen, "every member that was there all along is on some page");
    }
}
