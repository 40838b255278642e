using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>The leader is SIGKILLed: the other node takes over its work (ADR 0019).</summary>
public sealed class when_the_leader_node_is_killed(PostgresServer postgres) : TwoNodesWithALeader(postgres, "leader_killed")
{
    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task another_node_purges_expired_keys()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (leader, survivor) = await LeaderAsync();

        await leader.KillAsync();
        await InsertExpiredKeyAsync("expired-after-the-kill", cancellation);

        await Waits.Until(async () => !await KeyExistsAsync("expired-after-the-kill", cancellation), Deadline, "the surviving node to purge the expired key");
        Leads(survivor).ShouldBeTrue($"the survivor became the leader; its output:{Environment.NewLine}{survivor.OutputTail}");
    }
}
