using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// The leader's lock connection is cut by the server (as a network failure or a restarted PostgreSQL would): the lock
/// is gone with it, so the node stops leading rather than run beside the next leader (ADR 0019).
/// </summary>
public sealed class when_the_leaders_connection_is_lost(PostgresServer postgres) : TwoNodesWithALeader(postgres, "leader_connection_lost")
{
    private const string LostLeadership = "This node is no longer the leader";

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task the_node_stops_leading()
    {
        var (leader, _) = await LeaderAsync();

        await ExecuteAsync(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name like 'eventstore-leader %'",
            TestContext.Current.CancellationToken);

        await Waits.Until(() => Count(leader, LostLeadership) > 0, Deadline, $"the leader to notice it lost the lock; its output:{Environment.NewLine}{leader.OutputTail}");
    }
}
