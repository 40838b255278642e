using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// A rebuild is started on one node while another node keeps ingesting into the same database (ADR 0011, issue 11):
/// the rebuilt read models hold every event the ingesting node accepted before, during and after the rebuild,
/// exactly once. Two API processes; the rebuild's locks are PostgreSQL's, so they hold across nodes.
/// </summary>
public sealed class when_one_node_rebuilds_while_another_ingests(PostgresServer postgres) : TwoNodes(postgres, "rebuild_two_nodes")
{
    private const int Clients = 6;
    private const int Users = 30;

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task the_rebuilt_read_models_count_every_accepted_event_once()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var operator_ = First.Client();
        using var client = Second.Client();
        var accepted = new ConcurrentBag<long>();
        var sequence = 0L;

        async Task PostOne()
        {
            var n = Interlocked.Increment(ref sequence);
            var body = JsonSerializer.Serialize(new { event_name = $"during-{n % 3}", created_at = 1_700_000_000 + n, user_id = $"live-{n % Users}" });
            var (status, answer) = await client.SendAsync(HttpMethod.Post, "/events", ApiFixture.AcmeToken, TwoTenantService.Json(body), cancellation);
            status.ShouldBe(HttpStatusCode.Accepted, answer);
            accepted.Add(n);
        }

        for (var i = 0; i < 300; i++)
        {
            await PostOne();
        }

        JsonNode finished;
        int duringRebuild;
        // Clients that keep posting until the rebuild has finished and a few events more.
        await using (Senders.Start(Clients, PostOne))
        {
            var (status, body) = await operator_.SendAsync(HttpMethod.Post, "/admin/projections/all/rebuild", ApiFixture.AdminToken, cancellation: cancellation);
            status.ShouldBe(HttpStatusCode.Accepted, body);
            var job = JsonNode.Parse(body)!;
            var before = accepted.Count;
            finished = await WaitForAsync(operator_, job, TimeSpan.FromMinutes(2), cancellation);
            duringRebuild = accepted.Count - before;
            var after = accepted.Count;
            await Waits.Until(() => accepted.Count >= after + 50, TimeSpan.FromSeconds(30), "50 more events accepted after the rebuild");
        }

        ((string)finished["state"]!).ShouldBe("succeeded", finished.ToJsonString());
        duringRebuild.ShouldBeGreaterThan(0, "events must have been accepted while the rebuild ran, or this test proves nothing");
        (await ReadModelRows.TimelineEntriesIn(ConnectionString, "acme")).ShouldBe(accepted.Count, "every accepted event has exactly one timeline entry");
        (await ReadModelRows.EventsCountedIn(ConnectionString, "acme")).ShouldBe(accepted.Count, "the summaries count every accepted event once");
        (await ReadModelRows.EventsInActivity(ConnectionString, "acme")).ShouldBe(accepted.Count, "the hourly activity counts every accepted event once");
    }

    /// <summary>Polls the job on the node that runs it until it has an outcome, failing at the deadline.</summary>
    private static async Task<JsonNode> WaitForAsync(HttpClient node, JsonNode job, TimeSpan deadline, CancellationToken cancellation)
    {
        JsonNode? last = null;
        await Waits.Until(async () =>
        {
            var (status, body) = await node.SendAsync(HttpMethod.Get, $"/admin/projections/rebuilds/{job["id"]}", ApiFixture.AdminToken, cancellation: cancellation);
            status.ShouldBe(HttpStatusCode.OK, body);
            last = JsonNode.Parse(body)!;
            return (string)last["state"]! != "running";
        }, deadline, $"rebuild {job["id"]} to finish");
        return last!;
    }
}
