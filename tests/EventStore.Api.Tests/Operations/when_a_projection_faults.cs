using System.Net;
using EventStore.Api.Tests.Infrastructure;
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
        var (eventId, stream) = await BreakOneEventAsync();

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
        await BreakOneEventAsync();
        ((string)(await WaitForAsync(api, await StartRebuildAsync(api, "Timeline")))["state"]!).ShouldBe("failed");
        ((string)(await StatusOf("Timeline"))["state"]!).ShouldBe("faulted");

        // The operator repairs the event (here: restores its body), then rebuilds.
        await ExecuteAsync(api, "update eventstore.mt_events set data = b.original from broken_events b where mt_events.id = b.id");
        await RebuildAsync(api, "Timeline");

        var status = await StatusOf("Timeline");
        ((string)status["state"]!).ShouldBe("running");
        status["error"].ShouldBeNull();
        (await api.Host.Send(HttpMethod.Get, "/health/ready", token: null)).Body.ShouldBe("Healthy");
    }

    /// <summary>Replaces the body of one of ops-1's tracked events by something that is not an EventTracked (kept aside to restore it).</summary>
    private async Task<(Guid EventId, string Stream)> BreakOneEventAsync()
    {
        var eventId = await ScalarAsync<Guid>(api,
            "select e.id from eventstore.mt_events e join eventstore.mt_doc_usertimeline t on t.tenant_id = e.tenant_id and t.id = e.stream_id " +
            "where e.tenant_id = 'acme' and t.data ->> 'UserId' = 'ops-1' and e.type = 'event_tracked' order by e.seq_id limit 1");
        var stream = await ScalarAsync<string>(api, "select stream_id from eventstore.mt_events where id = $1", eventId);
        await ExecuteAsync(api, "create table if not exists broken_events (id uuid primary key, original jsonb)");
        await ExecuteAsync(api, "insert into broken_events select id, data from eventstore.mt_events where id = $1 on conflict do nothing", eventId);
        await ExecuteAsync(api, "update eventstore.mt_events set data = '{\"CreatedAt\": \"not a number\"}' where id = $1", eventId);
        return (eventId, stream);
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
