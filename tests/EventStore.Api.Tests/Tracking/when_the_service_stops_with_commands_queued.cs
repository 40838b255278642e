using System.Net;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventStore.Api.Tests.Tracking;

public sealed class StoppingService(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "stopping";
}

/// <summary>
/// The service told to stop (a deployment, SIGTERM) while requests wait for their group commit: it commits what
/// is queued before it stops, so every waiting request is answered 202 and its event stored once, and the stop
/// completes once they are. The commits are held until the stop has begun.
/// </summary>
public sealed class when_the_service_stops_with_commands_queued(StoppingService api) : IClassFixture<StoppingService>
{
    private const int Queued = 24;

    [Fact]
    public async Task answers_every_queued_request_202_and_stores_its_event_once()
    {
        var lifetime = api.Host.Services.GetRequiredService<IHostApplicationLifetime>();
        Response[] responses;
        Task stopping;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            var sending = Enumerable.Range(0, Queued).Select(i => Post($"queued-{i % 6}", Scenarios.Now - i)).ToList();
            await CommitQueue.WaitForPendingAsync(api.Host.Server.CreateClient(), api.Workspace, Queued);

            stopping = api.Host.StopAsync(TestContext.Current.CancellationToken);
            await Waits.Until(() => lifetime.ApplicationStopping.IsCancellationRequested, TimeSpan.FromSeconds(30), "the service to begin stopping");
            stopping.IsCompleted.ShouldBeFalse("the stop must wait for the requests whose commits are held");
            await held.ReleaseAsync();
            responses = await Task.WhenAll(sending);
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", responses.Select(r => $"{(int)r.Status} {r.Body}")));
        // The host is gone: read the store with a mapping of our own.
        await using var database = ServiceDatabase.Existing(api.ConnectionString);
        var stored = (await database.Store.TrackedIn(api.Workspace)).Where(e => e.UserId!.StartsWith("queued-", StringComparison.Ordinal)).ToList();
        stored.Count.ShouldBe(Queued, "every queued request's event is stored");
        stored.Select(e => (e.UserId, e.CreatedAt)).Distinct().Count().ShouldBe(Queued, "each once");
    }

    private Task<Response> Post(string user, long createdAt) =>
        api.Host.PostEvent(Scenarios.Event(name: "queued", userId: user, createdAt: createdAt), api.Token);
}
