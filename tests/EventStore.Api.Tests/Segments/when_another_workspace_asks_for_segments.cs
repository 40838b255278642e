using System.Net;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Segments.SegmentScenarios;

namespace EventStore.Api.Tests.Segments;

/// <summary>A workspace is the isolation boundary: acme's events are invisible to globex on every segment endpoint.</summary>
public sealed class when_another_workspace_asks_for_segments(ApiFixture api) : IClassFixture<ApiFixture>
{
    private Task Population() => api.SeedOnce(async () =>
    {
        await api.Did("acme-user", "placed-order", Scenarios.Now - Day);
        await api.Did("acme-user", "placed-order", Scenarios.Now - (2 * Day));
        await api.Did("acme-user", "signed-up", Scenarios.Now - Day);
        await api.Did("globex-user", "viewed-page", Scenarios.Now - Day, ApiFixture.GlobexToken);
        await api.Did("globex-user", "signed-up", Scenarios.Now - Day, ApiFixture.GlobexToken);
    });

    [Fact]
    public async Task lists_none_of_the_other_workspaces_names()
    {
        await Population();

        var list = (await api.Get("/segments", ApiFixture.GlobexToken)).Ok();

        list["segments"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ShouldBe(["signed-up", "viewed-page"], "globex sees only its own names");
    }

    [Fact]
    public async Task does_not_find_the_other_workspaces_segment()
    {
        await Population();

        (await api.Get("/segments/placed-order", ApiFixture.GlobexToken)).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task does_not_list_the_other_workspaces_users()
    {
        await Population();

        (await api.Get("/segments/placed-order/users", ApiFixture.GlobexToken)).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task does_not_search_the_other_workspaces_users()
    {
        await Population();

        var did = (await api.Search("""{"query":{"event_name":"placed-order"}}""", ApiFixture.GlobexToken)).Ok();
        var didNot = (await api.Search("""{"query":{"not":{"event_name":"placed-order"}}}""", ApiFixture.GlobexToken)).Ok();

        did["total_count"]!.GetValue<long>().ShouldBe(0, "acme's orders are not globex's");
        didNot.UserIds().ShouldBe(["globex-user"], "globex's universe is its own users");
    }

    [Fact]
    public async Task counts_only_the_workspaces_own_users_of_a_name_both_use()
    {
        await Population();

        var globex = (await api.Get("/segments/signed-up", ApiFixture.GlobexToken)).Ok();
        var members = (await api.Get("/segments/signed-up/users", ApiFixture.GlobexToken)).Ok();

        globex["user_count"]!.GetValue<long>().ShouldBe(1, "acme's sign-up is not counted for globex");
        globex["event_count"]!.GetValue<long>().ShouldBe(1);
        members.UserIds().ShouldBe(["globex-user"]);
    }
}
