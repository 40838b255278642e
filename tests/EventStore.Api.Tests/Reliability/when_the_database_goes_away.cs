using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Alba;
using EventStore.Api.Tests.Infrastructure;
using EventStore.LocalPostgres;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EventStore.Api.Tests.Reliability;

public enum Outage
{
    /// <summary><c>pg_ctl stop -m fast</c>: clients are disconnected, clean shutdown.</summary>
    Stop,

    /// <summary><c>pg_ctl stop -m immediate</c>: like a crash; the restart runs crash recovery.</summary>
    Kill,
}

/// <summary>
/// The service on a PostgreSQL cluster of its own (not the tests' shared server), so the tests can stop, kill and
/// restart the database under it. Each kind of outage is played once, by whichever test asks first, while
/// several clients post continuously; the tests then check what the clients saw and what the store holds.
/// </summary>
public sealed class PrivateClusterService : IAsyncLifetime
{
    public const int Senders = 6;

    /// <summary>Every request must be answered within this, database or not (Timeout=5, Command Timeout=15 by default).</summary>
    public static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);
    private readonly Lock gate = new();
    private readonly Dictionary<Outage, Task<OutageRun>> runs = [];

    public LocalPostgresCluster Cluster { get; private set; } = null!;

    public IAlbaHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), "eventstore-outage-" + Guid.NewGuid().ToString("N")),
            Ephemeral = true,
            Database = "eventstore",
            ServerSettings = new Dictionary<string, string> { ["fsync"] = "off", ["full_page_writes"] = "off" },
        });
        Host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("ConnectionStrings:Postgres", Cluster.ConnectionString);
            builder.UseSetting("Workspaces:0:Id", "acme");
            builder.UseSetting("Workspaces:0:AccessTokens:0", ApiFixture.AcmeToken);
            builder.UseSetting("RateLimits:RequestsPerWindow", "0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            // Every 503 of the outage is logged with its exception; the test reports what matters.
            builder.UseSetting("Logging:LogLevel:EventStore.Api", "None");
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "None");
        });
    }

    /// <summary>The run of one kind of outage; runs never overlap (the tests of a class run one after another).</summary>
    public Task<OutageRun> Play(Outage outage, CancellationToken cancellation)
    {
        lock (gate)
        {
            if (!runs.TryGetValue(outage, out var run))
            {
                run = PlayAsync(outage, cancellation);
                runs[outage] = run;
            }

            return run;
        }
    }

    public async Task<IReadOnlyList<TrackedKey>> StoredFor(string userPrefix) =>
        [.. (await Host.Services.GetRequiredService<IDocumentStore>().TrackedIn("acme")).Select(TrackedKey.Of).Where(k => k.UserId.StartsWith(userPrefix, StringComparison.Ordinal))];

    private async Task<OutageRun> PlayAsync(Outage outage, CancellationToken cancellation)
    {
        var responses = new ConcurrentQueue<Sent>();
        var ready = new ConcurrentQueue<(long At, HttpStatusCode Status)>();
        using var stopSending = new CancellationTokenSource();
        var prefix = $"{outage.ToString().ToLowerInvariant()}-";
        var createdAt = Scenarios.Now - 86_400;

        // Each sender posts new events for its own user, retrying an event after a 503 until it gets 202,
        // as a well-behaved client does (with a short pause instead of the full Retry-After, to keep the test short).
        var senders = Enumerable.Range(0, Senders).Select(sender => Task.Run(async () =>
        {
            using var http = Host.Server.CreateClient();
            for (var n = 0; n < 100_000 && !stopSending.IsCancellationRequested; n++)
            {
                var key = new TrackedKey($"{prefix}{sender}", "heartbeat", createdAt + n);
                while (!stopSending.IsCancellationRequested)
                {
                    var sent = await http.PostAsync(key, cancellation: cancellation);
                    responses.Enqueue(sent);
                    if (sent.Acknowledged)
                    {
                        break;
                    }

                    await Task.Delay(50, cancellation);
                }
            }
        }, cancellation)).ToList();

        int AcknowledgedSince(long at) => responses.Count(r => r.Acknowledged && r.StartedAt >= at);

        long down, restarting, up;
        try
        {
            await Waits.Until(() => AcknowledgedSince(0) >= 30, Deadline, "30 events accepted before the outage");

            if (outage == Outage.Stop)
            {
                await Cluster.StopAsync(cancellation);
            }
            else
            {
                await Cluster.KillAsync(cancellation);
            }

            down = ReliabilityScenarios.Timestamp();
            var downClock = Stopwatch.StartNew();
            await Waits.Until(async () => await Ready(ready) == HttpStatusCode.ServiceUnavailable, Deadline, "/health/ready to answer 503 while the database is down");
            // Keep posting for a few seconds of outage, and until the senders have seen a good number of refusals.
            await Waits.Until(
                () => downClock.Elapsed > TimeSpan.FromSeconds(3) && responses.Count(r => r.StartedAt >= down && !r.Acknowledged) >= 20,
                Deadline, "senders to be refused 20 times during 3 s of outage");

            restarting = ReliabilityScenarios.Timestamp();
            await Cluster.RestartAsync(cancellation);
            up = ReliabilityScenarios.Timestamp();
            await Waits.Until(async () => await Ready(ready) == HttpStatusCode.OK, Deadline, "/health/ready to answer 200 after the restart");
            await Waits.Until(() => AcknowledgedSince(up) >= 30, Deadline, "30 events accepted after the restart, without restarting the service");
        }
        finally
        {
            // Whatever failed above, the senders stop: they would otherwise post until the test run ends.
            await stopSending.CancelAsync();
            await Task.WhenAll(senders);
        }

        return new OutageRun(prefix, [.. responses], [.. ready], down, restarting, up);
    }

    private async Task<HttpStatusCode> Ready(ConcurrentQueue<(long At, HttpStatusCode Status)> seen)
    {
        using var http = Host.Server.CreateClient();
        using var response = await http.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        seen.Enqueue((ReliabilityScenarios.Timestamp(), response.StatusCode));
        return response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}

/// <summary>What the clients saw: every response, every readiness probe, and when the database went down and came back.</summary>
public sealed record OutageRun(string UserPrefix, IReadOnlyList<Sent> Responses, IReadOnlyList<(long At, HttpStatusCode Status)> Readiness, long Down, long Restarting, long Up)
{
    /// <summary>Requests sent and answered entirely while the database was down.</summary>
    public IReadOnlyList<Sent> DuringOutage => [.. Responses.Where(r => r.StartedAt >= Down && r.EndedAt <= Restarting)];
}

public sealed class when_the_database_goes_away(PrivateClusterService service) : IClassFixture<PrivateClusterService>
{
    [Theory(Timeout = TestTimeouts.Scenario)]
    [InlineData(Outage.Stop)]
    [InlineData(Outage.Kill)]
    public async Task answers_503_with_retry_after_and_an_error_list_while_it_is_down(Outage outage)
    {
        var run = await service.Play(outage, TestContext.Current.CancellationToken);

        run.DuringOutage.ShouldNotBeEmpty("the senders posted during the outage");
        var wrong = run.DuringOutage.Where(r => !IsServiceUnavailable(r)).ToList();
        wrong.ShouldBeEmpty($"every request while the database is down must get 503 service_unavailable with Retry-After; {wrong.Count} of {run.DuringOutage.Count} did not, e.g.:{Environment.NewLine}{string.Join(Environment.NewLine, wrong.Take(10))}");
    }

    [Theory(Timeout = TestTimeouts.Scenario)]
    [InlineData(Outage.Stop)]
    [InlineData(Outage.Kill)]
    public async Task answers_every_request_202_or_503_within_a_bounded_time(Outage outage)
    {
        var run = await service.Play(outage, TestContext.Current.CancellationToken);

        var wrong = run.Responses.Where(r => !(r.Acknowledged || IsServiceUnavailable(r)) || r.Elapsed > PrivateClusterService.AnswerBound).ToList();
        wrong.ShouldBeEmpty($"before, during and after the outage a request gets 202 or 503, within {PrivateClusterService.AnswerBound.TotalSeconds:0}s; {wrong.Count} of {run.Responses.Count} did not, e.g.:{Environment.NewLine}{string.Join(Environment.NewLine, wrong.Take(10))}");
    }

    [Theory(Timeout = TestTimeouts.Scenario)]
    [InlineData(Outage.Stop)]
    [InlineData(Outage.Kill)]
    public async Task reports_unready_while_it_is_down_and_ready_once_it_is_back(Outage outage)
    {
        var run = await service.Play(outage, TestContext.Current.CancellationToken);

        var probes = string.Join(", ", run.Readiness.Select(p => $"{(p.At >= run.Up ? "after" : "during")}:{(int)p.Status}"));
        run.Readiness.Where(p => p.At < run.Restarting).ShouldAllBe(p => p.Status == HttpStatusCode.ServiceUnavailable, $"probes: {probes}");
        run.Readiness.Where(p => p.At < run.Restarting).ShouldNotBeEmpty($"probes: {probes}");
        run.Readiness[^1].Status.ShouldBe(HttpStatusCode.OK, $"probes: {probes}");
    }

    [Theory(Timeout = TestTimeouts.Scenario)]
    [InlineData(Outage.Stop)]
    [InlineData(Outage.Kill)]
    public async Task accepts_events_again_by_itself_once_it_is_back(Outage outage)
    {
        var run = await service.Play(outage, TestContext.Current.CancellationToken);

        // The run waited (bounded) for these; here the numbers are shown for the record.
        var after = run.Responses.Where(r => r.StartedAt >= run.Up).ToList();
        after.Count(r => r.Acknowledged).ShouldBeGreaterThanOrEqualTo(30, $"after the restart: {string.Join(Environment.NewLine, after.Take(10))}");
        after.SkipWhile(r => !r.Acknowledged).Where(r => !r.Acknowledged).ShouldBeEmpty("once accepting again, nothing is refused");
    }

    [Theory(Timeout = TestTimeouts.Scenario)]
    [InlineData(Outage.Stop)]
    [InlineData(Outage.Kill)]
    public async Task stores_every_acknowledged_event_exactly_once(Outage outage)
    {
        var run = await service.Play(outage, TestContext.Current.CancellationToken);

        var stored = await service.StoredFor(run.UserPrefix);

        var acknowledged = run.Responses.Where(r => r.Acknowledged).Select(r => r.Key).ToList();
        var problems = ReliabilityScenarios.CompareWithStore(acknowledged, run.Responses.Select(r => r.Key), stored);
        problems.ShouldBeEmpty(ReliabilityScenarios.Describe(problems));
        acknowledged.Count.ShouldBeGreaterThan(60, "events were accepted before and after the outage");
    }

    private static bool IsServiceUnavailable(Sent response)
    {
        if (response.Status != HttpStatusCode.ServiceUnavailable || !response.Headers.TryGetValue("Retry-After", out var retryAfter) || !int.TryParse(retryAfter, out _))
        {
            return false;
        }

        try
        {
            var json = JsonNode.Parse(response.Body)!;
            return json["type"]!.GetValue<string>() == "error.list"
                && json["errors"]!.AsArray().Any(e => e!["code"]!.GetValue<string>() == "service_unavailable");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NullReferenceException or InvalidOperationException)
        {
            return false;
        }
    }
}
