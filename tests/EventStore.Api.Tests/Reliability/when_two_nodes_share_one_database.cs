using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// Two API processes on one database under concurrent, racing load (<see cref="TwoNodeLoad"/>). Events are
/// compared by (name, created_at), which the load makes unique per distinct event: a user sent by email may be
/// stored under the user_id the other node attached at the same moment.
/// </summary>
public sealed class when_two_nodes_share_one_database(TwoNodeLoad load) : IClassFixture<TwoNodeLoad>
{
    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task answers_no_request_with_a_server_error()
    {
        var run = await load.Play(TestContext.Current.CancellationToken);

        run.Log.ServerErrors.ShouldBeEmpty($"{run.Summary}; e.g.:{Environment.NewLine}{string.Join(Environment.NewLine, run.Log.ServerErrors.Take(10))}");
        run.Log.Refusals.ShouldBeEmpty($"every request of the load is valid; {run.Summary}; e.g.:{Environment.NewLine}{string.Join(Environment.NewLine, run.Log.Refusals.Take(10))}");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task stores_every_acknowledged_event_exactly_once()
    {
        var run = await load.Play(TestContext.Current.CancellationToken);

        var stored = (await load.Stored()).Select(s => Event(s.Key)).ToList();

        var problems = ReliabilityScenarios.CompareWithStore(run.Log.Acknowledged.Select(Event), run.Log.Sent.Select(Event), stored);
        problems.ShouldBeEmpty($"{run.Summary}; {ReliabilityScenarios.Describe(problems)}");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task keeps_one_timeline_per_user()
    {
        await load.Play(TestContext.Current.CancellationToken);

        var timelines = await load.Timelines();

        var shared = timelines.Where(t => t.UserId is not null).GroupBy(t => t.UserId).Where(g => g.Count() > 1).Select(g => $"user_id {g.Key}: {g.Count()} timelines");
        var emails = timelines.Where(t => t.EmailKey is not null).GroupBy(t => t.EmailKey).Where(g => g.Count() > 1).Select(g => $"email {g.Key}: {g.Count()} timelines");
        shared.Concat(emails).ShouldBeEmpty();
        var people = timelines.Where(t => t.EmailKey?.StartsWith("person-", StringComparison.Ordinal) == true).ToList();
        people.ShouldNotBeEmpty("the load identified people by email on one node and by user_id + email on the other");
        people.ShouldAllBe(t => t.UserId != null && t.EmailKey == t.UserId + "@example.com",
            "each person's timeline carries both the user_id and the email, whichever node came first");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task gives_a_since_poller_every_committed_event_of_its_user_exactly_once()
    {
        var run = await load.Play(TestContext.Current.CancellationToken);
        var stored = await load.Stored();
        var timelines = await load.Timelines();

        foreach (var (user, polled) in run.Polled)
        {
            var timeline = timelines.Single(t => t.UserId == user).Id;
            var expected = stored.Where(s => s.TimelineId == timeline).Select(s => Event(s.Key)).ToList();
            var received = polled.Received.Select(Event).ToList();

            var twice = received.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => $"received {g.Count()} times: {g.Key}");
            var missed = expected.Except(received).Select(k => $"committed but never received: {k}");
            var unknown = received.Except(expected).Select(k => $"received but not stored: {k}");
            var problems = twice.Concat(missed).Concat(unknown).ToList();
            problems.ShouldBeEmpty($"{user} ({expected.Count} events, {polled.Polls} polls, {polled.EmptyPolls} empty): {ReliabilityScenarios.Describe(problems)}"
                + $"{Environment.NewLine}the last polls (node -> created_at received):{Environment.NewLine}{string.Join(Environment.NewLine, polled.Trace.TakeLast(30))}");
            polled.EmptyPolls.ShouldBeGreaterThan(0, "the poller must also have polled while nothing new had committed yet");
        }
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task causes_no_deadlock_in_postgresql()
    {
        var run = await load.Play(TestContext.Current.CancellationToken);

        run.Deadlocks.ShouldBe(0, $"pg_stat_database.deadlocks moved during the load; {run.Summary}");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task logs_no_error_on_either_node()
    {
        var run = await load.Play(TestContext.Current.CancellationToken);

        for (var node = 0; node < run.ErrorLines.Count; node++)
        {
            run.ErrorLines[node].ShouldBeEmpty(
                $"node {node} logged {run.ErrorLines[node].Count} error line(s) in a healthy run; e.g.:{Environment.NewLine}"
                + string.Join(Environment.NewLine, run.ErrorLines[node].Take(3).Select(l => l.Length > 600 ? l[..600] : l)));
        }
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task counts_the_conflicts_it_retried_by_kind()
    {
        var run = await load.Play(TestContext.Current.CancellationToken);

        run.Scrapes.ShouldAllBe(s => s.Status == HttpStatusCode.OK);
        var conflicts = run.Scrapes.SelectMany(s => s.Samples).Where(s => s.Name == "eventstore_write_conflicts_total").ToList();
        conflicts.Sum(c => c.Value).ShouldBeGreaterThan(0, "the same event and the same new users raced on both nodes: some commits must have been retried");
        conflicts.ShouldAllBe(c => c.Labels.ContainsKey("kind") && c.Labels["workspace"] == TwoNodeLoad.Workspace);
    }

    private static TrackedKey Event(TrackedKey key) => key with { UserId = "" };
}
