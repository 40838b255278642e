using System.Text;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace EventStore.Api.Tests.Tracking;

/// <summary>
/// A client that gives up waiting (a timeout, a closed connection) after its event reached the committer: the event is
/// still committed, exactly once, and the service does not log a closed connection as an error. The commit is held
/// back by a transaction that locks the event log, so the hang-up happens while the request waits for it.
/// </summary>
public sealed class when_a_client_hangs_up_before_its_event_is_committed(LoggedApiFixture api) : IClassFixture<LoggedApiFixture>
{
    private static readonly Dictionary<string, Func<long, (string Url, string Body)>> Endpoints = new()
    {
        ["POST /events"] = createdAt => ("/events", JsonSerializer.Serialize(Scenarios.Event(name: "hung-up", userId: "hangs-up", createdAt: createdAt))),
        ["POST /events/bulk"] = createdAt => ("/events/bulk", JsonSerializer.Serialize(new[] { Scenarios.Event(name: "hung-up", userId: "hangs-up", createdAt: createdAt) })),
    };

    public static TheoryData<string> EveryEndpoint => [.. Endpoints.Keys];

    private sealed record HangUp(long CreatedAt, IReadOnlyList<CapturedLog> Logged);

    [Theory]
    [MemberData(nameof(EveryEndpoint))]
    public async Task stores_the_event_once(string endpoint)
    {
        var hangUp = await PlayAsync(endpoint);

        (await api.TrackedIn("acme")).Count(e => e.CreatedAt == hangUp.CreatedAt)
            .ShouldBe(1, "the client hung up after its event was handed to the committer, which commits it anyway");
    }

    [Theory]
    [MemberData(nameof(EveryEndpoint))]
    public async Task logs_no_error(string endpoint)
    {
        var hangUp = await PlayAsync(endpoint);

        hangUp.Logged.Where(l => l.Level >= LogLevel.Error).ShouldBeEmpty("a client closing its connection is not an error of the service");
    }

    /// <summary>Each endpoint's hang-up is played once per fixture (the class's tests run one at a time); its two tests read it.</summary>
    private Task<HangUp> PlayAsync(string endpoint) => api.Once($"hang-up on {endpoint}", () => HangUpAsync(endpoint));

    private async Task<HangUp> HangUpAsync(string endpoint)
    {
        // The user exists first, so the held commit is the plain append of a known user's event.
        (await api.Host.PostEvent(Scenarios.Event(name: "signed-up", userId: "hangs-up"))).Status.ShouldBe(System.Net.HttpStatusCode.Accepted);
        var createdAt = Scenarios.Now - 1_000 - Endpoints.Keys.ToList().IndexOf(endpoint);
        var (url, body) = Endpoints[endpoint](createdAt);
        var loggedBefore = api.Logs.Entries.Count;

        await using (var held = await HeldCommits.HoldAsync(api))
        {
            using var hangUp = new CancellationTokenSource();
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {ApiFixture.AcmeToken}");
            var sending = api.Host.Server.CreateClient().SendAsync(request, hangUp.Token);
            await held.WaitForWaitersAsync();

            await hangUp.CancelAsync();
            await held.ReleaseAsync();
            (await Record.ExceptionAsync(() => sending)).ShouldBeAssignableTo<OperationCanceledException>("the client gave up waiting");
        }

        await Waits.Until(async () => (await api.TrackedIn("acme")).Any(e => e.CreatedAt == createdAt),
            TimeSpan.FromSeconds(30), "the event of the client that hung up to be committed");
        return new HangUp(createdAt, api.Logs.Entries.Skip(loggedBefore).ToList());
    }
}
