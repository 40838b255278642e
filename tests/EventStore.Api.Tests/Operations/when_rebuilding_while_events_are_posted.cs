using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Operations.OperationsScenarios;

namespace EventStore.Api.Tests.Operations;

/// <summary>
/// Ingestion keeps working during a rebuild (ADR 0011): events accepted before, during and after it all end up in
/// the rebuilt read models exactly once; none is lost in the switch and none is counted twice.
/// </summary>
public sealed class when_rebuilding_while_events_are_posted(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const int Clients = 8;
    private const int Users = 40;

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task loses_no_accepted_event_and_counts_none_twice()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var accepted = new ConcurrentBag<(string User, string Name, long CreatedAt)>();
        var sequence = 0L;

        async Task PostOne()
        {
            var n = Interlocked.Increment(ref sequence);
            var user = $"live-{n % Users}";
            var name = $"during-{n % 3}";
            var response = await api.Host.PostEvent(Scenarios.Event(name: name, userId: user, createdAt: 1_700_000_000 + n));
            response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
            accepted.Add((user, name, 1_700_000_000 + n));
        }

        // A history to rebuild, then clients that keep posting until the rebuild has finished.
        for (var i = 0; i < 200; i++)
        {
            await PostOne();
        }

        JsonNode finished;
        int duringRebuild;
        // Clients that keep posting until the rebuild has finished and a few events more.
        await using (Senders.Start(Clients, PostOne))
        {
            var job = await StartRebuildAsync(api, "all");
            var before = accepted.Count;
            finished = await WaitForAsync(api, job, TimeSpan.FromMinutes(2));
            duringRebuild = accepted.Count - before;
            // A few more after the switch, so that events land on the rebuilt tables too.
            var after = accepted.Count;
            await Waits.Until(() => accepted.Count >= after + 50, TimeSpan.FromSeconds(30), "50 more events accepted after the rebuild");
        }

        ((string)finished["state"]!).ShouldBe("succeeded", finished.ToJsonString());
        duringRebuild.ShouldBeGreaterThan(0, "events must have been accepted while the rebuild ran, or this test proves nothing");
        var expected = accepted.ToList();
        (await api.TimelineEntriesIn("acme"))
            .ShouldBe(expected.Count, "every accepted event has exactly one timeline entry");
        (await api.EventsCountedIn("acme"))
            .ShouldBe(expected.Count, "the summaries count every accepted event once");
        (await api.TimelinesIn("acme")).Count.ShouldBe(Users);
        foreach (var user in expected.GroupBy(e => e.User).Take(5))
        {
            var summary = (await api.Host.Get($"/events?type=user&user_id={user.Key}&summary=true")).Json["events"]!.AsArray();
            foreach (var name in user.GroupBy(e => e.Name))
            {
                summary.Single(s => (string)s!["name"]! == name.Key)!["count"]!.GetValue<long>()
                    .ShouldBe(name.Count(), $"{user.Key} / {name.Key}");
            }
        }
    }
}
