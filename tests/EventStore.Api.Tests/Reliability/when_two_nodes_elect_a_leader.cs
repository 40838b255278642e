using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>Of two nodes on one database, one is the leader and only it runs the once-per-cluster work (ADR 0019).</summary>
public sealed class when_two_nodes_elect_a_leader(PostgresServer postgres) : TwoNodesWithALeader(postgres, "leader_elected")
{
    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task only_the_leader_purges_expired_keys()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (leader, follower) = await LeaderAsync();
        await InsertExpiredKeyAsync("expired", cancellation);

        await Waits.Until(async () => !await KeyExistsAsync("expired", cancellation), Deadline, "the expired key to be purged");
        // Every node would have purged three more times by now if every node purged.
        var purges = Count(leader, Purging);
        await Waits.Until(() => Count(leader, Purging) >= purges + 3, Deadline, "the leader to purge three more times");
        Count(follower, Purging).ShouldBe(0, $"the follower never purges; its output:{Environment.NewLine}{follower.OutputTail}");
        Leads(follower).ShouldBeFalse("one leader at a time");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task each_reports_whether_it_leads_in_its_metrics()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var (leader, follower) = await LeaderAsync();

        (await LeaderGaugeAsync(leader, cancellation)).ShouldBe("1");
        (await LeaderGaugeAsync(follower, cancellation)).ShouldBe("0");
    }
}
