using System.Collections.Concurrent;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;
using Marten;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// The service as a separate process, SIGKILLed while 16 clients post to it, then started again on the same
/// database. The kill is played once, by whichever test asks first; the tests check its consequences.
/// </summary>
public sealed class KilledApiService(PostgresServer postgres) : IAsyncLifetime
{
    public const int Senders = 16;
    public const int AcknowledgedBeforeKill = 100;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly Lock gate = new();
    private readonly List<ApiProcess> processes = [];
    private Task<KillRun>? run;
    private ServiceDatabase? database;

    public string ConnectionString => database!.ConnectionString;

    public async ValueTask InitializeAsync() => database = await ServiceDatabase.CreateAsync(postgres, nameof(KilledApiService));

    /// <summary>The service after the kill and the restart.</summary>
    public ApiProcess Restarted => processes[^1];

    public Task<KillRun> Play(CancellationToken cancellation)
    {
        lock (gate)
        {
            return run ??= PlayAsync(cancellation);
        }
    }

    public async Task<IReadOnlyList<TrackedKey>> Stored() => [.. (await database!.Store.TrackedIn("acme")).Select(TrackedKey.Of)];

    private async Task<KillRun> PlayAsync(CancellationToken cancellation)
    {
        var first = Started(ApiProcess.Start(ConnectionString));
        await first.WaitUntilReadyAsync(Deadline);

        var responses = new ConcurrentQueue<Sent>();
        using var killed = new CancellationTokenSource();
        var createdAt = Scenarios.Now - 86_400;
        using var http = first.Client();
        // Two senders per user, so their commands meet in the same committer lane and the same streams;
        // every fifth post repeats the sender's previous event (a client retry).
        var senders = Enumerable.Range(0, Senders).Select(sender => Task.Run(async () =>
        {
            TrackedKey? previous = null;
            for (var n = 0; n < 10_000 && !killed.IsCancellationRequested; n++)
            {
                var key = n % 5 == 4 && previous is not null ? previous : new TrackedKey($"killed-{sender % 8}", $"step-{sender % 3}", createdAt + (n * Senders) + sender);
                var sent = await http.PostAsync(key, cancellation: cancellation);
                responses.Enqueue(sent);
                previous = key;
            }
        })).ToList();

        await Waits.Until(
            () => Task.FromResult(responses.Count(r => r.Acknowledged) >= AcknowledgedBeforeKill), Deadline, $"{AcknowledgedBeforeKill} events accepted before the kill");
        // A process that died by itself before the kill crashed: that is a failure, not the kill this test plays.
        var crashed = first.HasExited ? $"the service exited with {first.ExitCode} before the kill:{Environment.NewLine}{first.OutputTail}" : null;
        var killedAt = ReliabilityScenarios.Timestamp();
        await first.KillAsync();
        await killed.CancelAsync();
        await Task.WhenAll(senders);

        var second = Started(ApiProcess.Start(ConnectionString));
        await second.WaitUntilReadyAsync(Deadline);
        return new KillRun([.. responses], killedAt, crashed);
    }

    private ApiProcess Started(ApiProcess process)
    {
        lock (gate)
        {
            processes.Add(process);
        }

        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}

/// <summary>
/// Every response the clients got from the process that was killed, when it was killed, and whether it had crashed
/// before: a request cut off (null status) is the kill's doing only if it was still in flight when the kill came.
/// </summary>
public sealed record KillRun(IReadOnlyList<Sent> Responses, long KilledAt, string? CrashedBeforeKill)
{
    /// <summary>Answers that were not 202, and connections that failed before the kill.</summary>
    public IReadOnlyList<Sent> Failures => [.. Responses.Where(r => r.Status is null ? r.EndedAt < KilledAt : !r.Acknowledged)];

    public IReadOnlyList<TrackedKey> Acknowledged => [.. Responses.Where(r => r.Acknowledged).Select(r => r.Key).Distinct()];

    public string Summary => $"{Responses.Count} requests: {Responses.Count(r => r.Acknowledged)} answered 202, {Responses.Count(r => r.Status is null)} cut off, "
        + $"{Responses.Count(r => r.Status is not null && !r.Acknowledged)} other";
}

public sealed class when_the_api_process_is_killed_mid_load(KilledApiService service) : IClassFixture<KilledApiService>
{
    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task answers_every_request_before_the_kill_202_and_fails_none_before_it()
    {
        var run = await service.Play(TestContext.Current.CancellationToken);

        run.CrashedBeforeKill.ShouldBeNull();
        run.Failures.ShouldBeEmpty($"{run.Summary}; e.g.:{Environment.NewLine}{string.Join(Environment.NewLine, run.Failures.Take(10))}");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task stores_every_acknowledged_event_exactly_once()
    {
        var run = await service.Play(TestContext.Current.CancellationToken);

        // Only the kill's users: the other tests of this class post events of their own after the restart.
        var stored = (await service.Stored()).Where(k => k.UserId.StartsWith("killed-", StringComparison.Ordinal)).ToList();

        var problems = ReliabilityScenarios.CompareWithStore(run.Acknowledged, run.Responses.Select(r => r.Key), stored);
        problems.ShouldBeEmpty($"{run.Summary}; {ReliabilityScenarios.Describe(problems)}");
        run.Responses.Count(r => r.Acknowledged).ShouldBeGreaterThanOrEqualTo(KilledApiService.AcknowledgedBeforeKill, $"the kill came mid-load; {run.Summary}");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task accepts_new_events_after_the_restart()
    {
        await service.Play(TestContext.Current.CancellationToken);
        using var http = service.Restarted.Client();
        var fresh = Enumerable.Range(0, 20).Select(i => new TrackedKey($"after-kill-{i % 4}", "came-back", Scenarios.Now - i)).ToList();

        var responses = await Task.WhenAll(fresh.Select(key => http.PostAsync(key, cancellation: TestContext.Current.CancellationToken)));

        responses.ShouldAllBe(r => r.Acknowledged, string.Join(Environment.NewLine, responses.Where(r => !r.Acknowledged)));
        var stored = (await service.Stored()).Where(k => k.Name == "came-back").ToList();
        stored.ShouldBe(fresh, ignoreOrder: true, "each new event stored once");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task answers_duplicates_of_acknowledged_events_202_without_storing_them_twice()
    {
        var run = await service.Play(TestContext.Current.CancellationToken);
        using var http = service.Restarted.Client();
        var acknowledged = run.Acknowledged;

        var responses = new List<Sent>();
        foreach (var chunk in acknowledged.Chunk(32))
        {
            responses.AddRange(await Task.WhenAll(chunk.Select(key => http.PostAsync(key, cancellation: TestContext.Current.CancellationToken))));
        }

        responses.ShouldAllBe(r => r.Acknowledged, string.Join(Environment.NewLine, responses.Where(r => !r.Acknowledged).Take(10)));
        var counts = (await service.Stored()).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        var problems = acknowledged.Where(k => counts.GetValueOrDefault(k) != 1).Select(k => $"{k} stored {counts.GetValueOrDefault(k)} times after being sent again").ToList();
        problems.ShouldBeEmpty(ReliabilityScenarios.Describe(problems));
    }
}
