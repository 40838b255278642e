using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// The service as a process, in Production (JSON console logs), taking requests that carry personal data, one that
/// fails at commit time and one with a wrong token; then stopped with SIGTERM while requests wait for their commits
/// (held back until the process has stopped listening). Played once, by whichever test asks first.
/// </summary>
public sealed class StoppedApiService(PostgresServer postgres) : IAsyncLifetime
{
    public const int InFlight = 16;

    /// <summary>Values that must never reach a log: the tokens presented and every personal value sent.</summary>
    public static readonly string[] Secrets =
    [
        ApiFixture.AcmeToken, "bogus-token-5f1e2d9c", "jane-4711", "jane.doe.4711@example.org", "4111-1111-1111-1111",
        "failing-4711", "failing.4711@example.org", "5500-0000-0000-0004",
    ];

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly Lock gate = new();
    private Task<StopRun>? run;
    private ServiceDatabase? database;
    private ApiProcess? process;

    public ServiceDatabase Database => database!;

    public async ValueTask InitializeAsync() => database = await ServiceDatabase.CreateAsync(postgres, nameof(StoppedApiService));

    public Task<StopRun> Play(CancellationToken cancellation)
    {
        lock (gate)
        {
            return run ??= PlayAsync(cancellation);
        }
    }

    private async Task<StopRun> PlayAsync(CancellationToken cancellation)
    {
        process = ApiProcess.Start(database!.ConnectionString);
        await process.WaitUntilReadyAsync(Deadline);
        using var http = process.Client();

        (await SendAsync(http, HttpMethod.Post, "/events", Event("jane-4711", "jane.doe.4711@example.org", "4111-1111-1111-1111"), cancellation)).Status
            .ShouldBe(HttpStatusCode.Accepted);
        (await SendAsync(http, HttpMethod.Get, "/events?type=user&user_id=jane-4711", null, cancellation)).Status.ShouldBe(HttpStatusCode.OK);
        (await SendAsync(http, HttpMethod.Post, "/events", Event("jane-4711", null, null), cancellation, "bogus-token-5f1e2d9c")).Status
            .ShouldBe(HttpStatusCode.Unauthorized);
        Response failed;
        await using (await CommitFailures.FailEveryCommitOf(database.ConnectionString, "failing-4711"))
        {
            failed = await SendAsync(http, HttpMethod.Post, "/events", Event("failing-4711", "failing.4711@example.org", "5500-0000-0000-0004"), cancellation);
        }

        failed.ShouldBeServerFailure();
        var failedRequestId = failed.Json["request_id"]!.GetValue<string>();

        Response[] inFlight;
        int exitCode;
        await using (var held = await HeldCommits.HoldAsync(database.ConnectionString))
        {
            var sending = Enumerable.Range(0, InFlight)
                .Select(i => SendAsync(http, HttpMethod.Post, "/events", Event($"in-flight-{i % 4}", null, null, Scenarios.Now - i), cancellation)).ToList();
            await CommitQueue.WaitForPendingAsync(http, "acme", InFlight);

            process.Terminate();
            await Waits.Until(async () => !await process.AcceptsConnectionsAsync(), Deadline, "the process to stop listening after SIGTERM");
            sending.Where(r => r.IsCompleted).ShouldBeEmpty("the stop must wait for the requests whose commits are held, not cut them off");
            await held.ReleaseAsync();
            inFlight = await Task.WhenAll(sending);
            exitCode = await process.ExitCodeAsync(Deadline);
        }

        return new StopRun(inFlight, exitCode, failedRequestId, process.Lines);
    }

    private static string Event(string user, string? email, string? card, long? createdAt = null) =>
        JsonSerializer.Serialize(Scenarios.Event(name: "placed-order", userId: user, email: email, createdAt: createdAt,
            metadata: card is null ? null : new Dictionary<string, string> { ["card"] = card }));

    private static async Task<Response> SendAsync(HttpClient http, HttpMethod method, string url, string? body, CancellationToken cancellation, string token = ApiFixture.AcmeToken)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        using var response = await http.SendAsync(request, cancellation);
        return new Response(response.StatusCode, await response.Content.ReadAsStringAsync(cancellation),
            response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase));
    }

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await process.DisposeAsync();
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}

/// <summary>What the requests in flight were answered, how the process exited, and every line it wrote.</summary>
public sealed record StopRun(IReadOnlyList<Response> InFlight, int ExitCode, string FailedRequestId, IReadOnlyList<string> Lines);

public sealed class when_the_api_process_is_stopped_with_requests_in_flight(StoppedApiService service) : IClassFixture<StoppedApiService>
{
    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task answers_every_request_in_flight_202_and_stores_its_event_once()
    {
        var run = await service.Play(TestContext.Current.CancellationToken);

        run.InFlight.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", run.InFlight.Select(r => $"{(int)r.Status} {r.Body}")));
        var stored = (await service.Database.Store.TrackedIn("acme")).Where(e => e.UserId!.StartsWith("in-flight-", StringComparison.Ordinal)).ToList();
        stored.Select(e => (e.UserId, e.CreatedAt)).Distinct().Count().ShouldBe(StoppedApiService.InFlight);
        stored.Count.ShouldBe(StoppedApiService.InFlight, "each once");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task exits_with_code_0_once_they_are_answered()
    {
        var run = await service.Play(TestContext.Current.CancellationToken);

        run.ExitCode.ShouldBe(0, string.Join(Environment.NewLine, run.Lines.TakeLast(20)));
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task logs_a_failed_request_at_error_with_its_request_id()
    {
        var run = await service.Play(TestContext.Current.CancellationToken);

        var errors = run.Lines.Select(Parse).OfType<JsonElement>().Where(l => l.GetProperty("LogLevel").GetString() == "Error").ToList();
        errors.ShouldContain(l => RequestIdOf(l) == run.FailedRequestId,
            $"the request id the client got ({run.FailedRequestId}) leads to the error line; errors: {string.Join(Environment.NewLine, errors.Select(e => Shorten(e.GetRawText())))}");
    }

    [Fact(Timeout = TestTimeouts.Scenario)]
    public async Task writes_no_token_and_no_personal_data_to_its_log()
    {
        var run = await service.Play(TestContext.Current.CancellationToken);

        run.Lines.ShouldNotBeEmpty("the failed request at least is logged, or this test proves nothing");
        var leaks = run.Lines.SelectMany(line => StoppedApiService.Secrets.Where(secret => line.Contains(secret, StringComparison.OrdinalIgnoreCase))
            .Select(secret => $"{secret} in: {Shorten(line)}")).ToList();
        leaks.ShouldBeEmpty();
    }

    private static JsonElement? Parse(string line)
    {
        try
        {
            return line.StartsWith('{') ? JsonDocument.Parse(line).RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? RequestIdOf(JsonElement line) =>
        line.TryGetProperty("Scopes", out var scopes)
            ? scopes.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("request_id", out var id) ? id.ToString() : null).FirstOrDefault(id => id is not null)
            : null;

    private static string Shorten(string line) => line.Length > 600 ? line[..600] : line;
}
