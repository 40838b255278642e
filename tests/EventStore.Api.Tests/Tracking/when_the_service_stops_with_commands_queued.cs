using System.Net;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventStore.Api.Tests.Tracking;

public sealed class StoppingService(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "stopping";

    /// <summary>Completed by the test once its requests have their answers; the host's stop waits for it.</summary>
    public TaskCompletionSource RequestsAnswered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Kestrel lets the requests in flight finish before the host stops; the test server does not. A hosted service
    /// registered first (so stopped last) that waits for the test's requests stands in for that.
    /// </summary>
    protected override void Configure(IWebHostBuilder builder)
    {
        base.Configure(builder);
        builder.ConfigureServices(services => services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(new RequestsInFlight(RequestsAnswered.Task))));
    }

    private sealed class RequestsInFlight(Task answered) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => answered.WaitAsync(cancellationToken);
    }
}

/// <summary>
/// The service told to stop (a deployment, SIGTERM) while requests wait for their group commit: it commits what
/// is queued before it stops, so every waiting request is answered 202 and its event stored once. The commits are
/// held until the stop has begun. (The process-level version, with Kestrel draining requests first:
/// <c>when_the_api_process_is_stopped_with_requests_in_flight</c>.)
/// </summary>
public sealed class when_the_service_stops_with_commands_queued(StoppingService api) : IClassFixture<StoppingService>
{
    private const int Queued = 24;

    [Fact]
    public async Task answers_every_queued_request_202_and_stores_its_event_once()
    {
        var lifetime = api.Host.Services.GetRequiredService<IHostApplicationLifetime>();
        Response[] responses;
        IReadOnlyList<EventStore.Domain.Timelines.EventTracked> stored;
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
            // Only now: the store is read through the host, which is gone once stopped.
            stored = (await api.TrackedIn(api.Workspace)).Where(e => e.UserId!.StartsWith("queued-", StringComparison.Ordinal)).ToList();
            api.RequestsAnswered.SetResult();
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", responses.Select(r => $"{(int)r.Status} {r.Body}")));
        stored.Count.ShouldBe(Queued, "every queued request's event is stored");
        stored.Select(e => (e.UserId, e.CreatedAt)).Distinct().Count().ShouldBe(Queued, "each once");
    }

    private Task<Response> Post(string user, long createdAt) =>
        api.Host.PostEvent(Scenarios.Event(name: "queued", userId: user, createdAt: createdAt), api.Token);
}
