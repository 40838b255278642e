using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// Two API processes on one database take load for the same users; one of them is SIGKILLed while requests are in
/// flight. Nothing either node acknowledged is lost or stored twice, and the surviving node keeps accepting events
/// without a server error (ADR 0006).
/// </summary>
public sealed class when_one_of_two_nodes_is_killed(PostgresServer postgres) : TwoNodes(postgres, "kill_one_node")
{
    private const int ClientsPerNode = 6;
    private const int Users = 25;

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task loses_nothing_acknowledged_and_the_other_node_keeps_serving()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var toKilled = First.Client();
        using var toSurvivor = Second.Client();
        var acknowledged = new ConcurrentBag<long>();
        var sent = new ConcurrentBag<long>();
        var survivorFailures = new ConcurrentBag<string>();
        var afterKill = 0;
        var nodeKilled = false;
        var sequence = 0L;

        async Task SendLoop(HttpClient client, bool toSurvivingNode, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref sequence);
                var body = JsonSerializer.Serialize(new { event_name = "survived", created_at = 1_700_000_000 + n, user_id = $"shared-{n % Users}" });
                sent.Add(n);
                // Not cancelled by the stop: a request in flight then is answered, and counted, like any other.
                var (status, answer) = await client.SendAsync(HttpMethod.Post, "/events", ApiFixture.AcmeToken, TwoTenantService.Json(body), cancellation);
                if (status == HttpStatusCode.Accepted)
                {
                    acknowledged.Add(n);
                    if (toSurvivingNode && Volatile.Read(ref nodeKilled))
                    {
                        Interlocked.Increment(ref afterKill);
                    }
                }
                else if (toSurvivingNode && !stop.IsCancellationRequested)
                {
                    survivorFailures.Add($"{(int?)status}: {answer}");
                }
                else if (!toSurvivingNode && status is null)
                {
                    // The killed node's connections are cut: stop sending there.
                    return;
                }
            }
        }

        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, ClientsPerNode).SelectMany(_ => new[]
        {
            Task.Run(() => SendLoop(toKilled, false, stop.Token), cancellation),
            Task.Run(() => SendLoop(toSurvivor, true, stop.Token), cancellation),
        }).ToList();
        try
        {
            await Waits.Until(() => acknowledged.Count >= 300, TimeSpan.FromSeconds(60), "300 events acknowledged by both nodes before the kill");
            await First.KillAsync();
            Volatile.Write(ref nodeKilled, true);
            await Waits.Until(() => Volatile.Read(ref afterKill) >= 200, TimeSpan.FromSeconds(60), "200 events acknowledged by the surviving node after the kill");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        survivorFailures.ShouldBeEmpty("the surviving node answers every request 202");
        var stored = await Database.ListAsync<long>(ConnectionString,
            "select (data ->> 'CreatedAt')::bigint - 1700000000 from eventstore.mt_events where tenant_id = 'acme' and type = 'event_tracked'");
        stored.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ShouldBeEmpty("no event is stored twice");
        acknowledged.Except(stored).ShouldBeEmpty("every acknowledged event is stored, whichever node acknowledged it");
        stored.Except(sent).ShouldBeEmpty("nothing is stored that was not sent");
    }
}
