using System.Net;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Operations.OperationsScenarios;

namespace EventStore.Api.Tests.Operations;

/// <summary>
/// A client polling a timeline with <c>pages.since</c> keeps its cursor across a rebuild of the Timeline projection
/// (ADR 0011): the rebuilt rows keep their arrival positions, so the next poll brings exactly what arrived since,
/// neither the events it had already seen nor fewer.
/// </summary>
public sealed class when_polling_a_timeline_across_a_rebuild(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task the_cursor_from_before_brings_only_what_arrived_after()
    {
        foreach (var (name, at) in new[] { ("seen-1", 1_700_000_000L), ("seen-2", 1_700_000_100L), ("seen-3", 1_600_000_000L) })
        {
            (await api.Host.PostEvent(Scenarios.Event(name: name, userId: "poller", createdAt: at))).Status.ShouldBe(HttpStatusCode.Accepted);
        }

        var since = (await api.Host.Get("/events?type=user&user_id=poller")).Json["pages"]!["since"]!.GetValue<string>();
        await RebuildAsync(api, "Timeline");
        (await api.Host.PostEvent(Scenarios.Event(name: "after-1", userId: "poller", createdAt: 1_650_000_000))).Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.Host.PostEvent(Scenarios.Event(name: "after-2", userId: "poller", createdAt: 1_750_000_000))).Status.ShouldBe(HttpStatusCode.Accepted);

        var polled = await api.Host.PollSince(since, 2);
        polled["events"]!.AsArray().Select(e => e!["event_name"]!.GetValue<string>())
            .ShouldBe(["after-1", "after-2"], ignoreOrder: true, "events seen before the rebuild must not come again, new ones must come");
    }
}
