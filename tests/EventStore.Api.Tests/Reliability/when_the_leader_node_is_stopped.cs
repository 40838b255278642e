using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>The leader is stopped as an orchestrator stops it (SIGTERM): its lock is released, the other node leads (ADR 0019).</summary>
public sealed class when_the_leader_node_is_stopped(PostgresServer postgres) : TwoNodesWithALeader(postgres, "leader_stopped")
{
    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task the_other_node_reports_that_it_leads()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (leader, follower) = await LeaderAsync();

        (await leader.StopAsync(Deadline)).ShouldBe(0, leader.OutputTail);

        await Waits.Until(async () => await LeaderGaugeAsync(follower, cancellation) == "1", Deadline,
            $"the other node to report eventstore_leader 1; its output:{Environment.NewLine}{follower.OutputTail}");
    }
}
