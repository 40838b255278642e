using System.Net;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;
using static EventStore.Api.Tests.Operations.OperationsScenarios;

namespace EventStore.Api.Tests.Operations;

/// <summary>
/// An event a projection cannot take (here: a stored event whose body no longer reads as its type) does not
/// stop the service and is not skipped: the rebuild is retried as configured, then fails naming the event and
/// its stream, the status shows the projection as faulted with that error, and the previous version of the read
/// model keeps being served until a rebuild succeeds.
/// </summary>
public sealed class when_a_projection_faults(FaultFixture api) : IClassFixture<FaultFixture>
{
    [Fact]
    public async Task reports_the_event_shows_the_projection_faulted_and_keeps_serving_the_previous_version()
    {
        await api.SeedOnce(() => SeedPopulationAsync(api));
        var timelineBefore = await ReadAsync(api, "/events?type=user&user_id=ops-1&per_page=100");
        var (eventId, stream, _) = await BreakOneEventAsync();

        var failed = await WaitForAsync(api, await StartRebuildAsync(api, "Timeline"));

        ((string)failed["state"]!).ShouldBe("failed");
        ((string)failed["error"]!["event_id"]!).ShouldBe(eventId.ToString(), failed.ToJsonString());
        ((string)failed["error"]!["stream"]!).ShouldBe(stream);
        ((string)failed["error"]!["workspace"]!).ShouldBe("acme");
        var status = await StatusOf("Timeline");
        ((string)status["state"]!).ShouldBe("faulted");
        ((string)status["error"]!["event_id"]!).ShouldBe(eventId.ToString());
        ((string)(await StatusOf("EventStats"))["state"]!).ShouldBe("running", "only the projection whose rebuild failed is faulted");
        (await ReadAsync(api, "/events?type=user&user_id=ops-1&per_page=100")).ShouldBe(timelineBefore, "the previous version is still served");
        (await api.Host.PostEvent(Scenarios.Event(name: "after-the-fault", userId: "ops-1"))).Status
            .ShouldBe(HttpStatusCode.Accepted, "the service keeps taking events");
        (await api.Host.Get("/health/live")).Status.ShouldBe(HttpStatusCode.OK);
        var ready = await api.Host.Send(HttpMethod.Get, "/health/ready", token: null);
        ready.Status.ShouldBe(HttpStatusCode.OK, "a faulted projection does not take the service out of rotation");
        ready.Body.ShouldBe("Degraded");
    }

    [Fact]
    public async Task is_running_again_once_a_rebuild_succeeds()
    {
        await api.SeedOnce(() => SeedPopulationAsync(api));
        var (eventId, _, original) = await BreakOneEventAsync();
        ((string)(await WaitForAsync(api, await StartRebuildAsync(api, "Timeline")))["state"]!).ShouldBe("failed");
        ((string)(await StatusOf("Timeline"))["state"]!).ShouldBe("faulted");

        // The operator repairs the event (here: restores its body), then rebuilds.
        await api.ReplaceBodyAsync(eventId, original);
        await RebuildAsync(api, "Timeline");

        var status = await StatusOf("Timeline");
        ((string)status["state"]!).ShouldBe("running");
        status["error"].ShouldBeNull();
        (await api.Host.Send(HttpMethod.Get, "/health/ready", token: null)).Body.ShouldBe("Healthy");
    }

    /// <summary>
    /// Replaces the body of ops-1's first tracked event by something that is not an EventTracked; the body it had is
    /// kept (once per fixture, whichever test breaks it first) for the operator's repair.
    /// </summary>
    private async Task<(Guid EventId, string Stream, string Original)> BreakOneEventAsync()
    {
        const string broken = """{"CreatedAt": "not a number"}""";
        var (eventId, stream, original) = await api.Once("ops-1's first event, and its body", async () =>
        {
            var tracked = (await api.EventsIn("acme")).First(e => e.Data is EventTracked { UserId: "ops-1" });
            return (tracked.Id, tracked.StreamKey!, await api.ReplaceBodyAsync(tracked.Id, broken));
        });
        await api.ReplaceBodyAsync(eventId, broken);
        return (eventId, stream, original);
    }

    private async Task<System.Text.Json.Nodes.JsonNode> StatusOf(string projection) =>
        (await api.Host.Get("/admin/projections", ApiFixture.AdminToken)).Json["data"]!.AsArray().Single(p => (string)p!["name"]! == projection)!;
}

/// <summary>A service whose rebuilds retry a failing step twice, without pausing (the default pauses a second, then two).</summary>
public sealed class FaultFixture(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Operations:Rebuild:Attempts"] = "2",
        ["Operations:Rebuild:RetryDelaySeconds"] = "0",
    };
}
