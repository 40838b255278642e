using System.Net;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Operations.OperationsScenarios;

namespace EventStore.Api.Tests.Operations;

/// <summary>GET /admin/projections: every projection's lifecycle, version, state, position and lag; operators only.</summary>
public sealed class when_asking_for_projection_status(ApiFixture api) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> AdminEndpoints => new()
    {
        { "GET", "/admin/projections" },
        { "POST", "/admin/projections/Timeline/rebuild" },
        { "GET", $"/admin/projections/rebuilds/{Guid.Empty:N}" },
    };

    [Fact]
    public async Task lists_every_projection_inline_running_at_the_high_water_mark()
    {
        await api.SeedOnce(() => SeedPopulationAsync(api));
        var highWaterMark = await api.HighWaterMark();

        var response = await api.Host.Get("/admin/projections", ApiFixture.AdminToken);

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        ((string)response.Json["type"]!).ShouldBe("projection.list");
        var projections = response.Json["data"]!.AsArray();
        projections.Select(p => (string)p!["name"]!).ShouldBe(["UserTimeline", "EventNameCatalog", "Timeline", "EventStats", "EventActivity", "SegmentChanges"]);
        foreach (var projection in projections)
        {
            var name = (string)projection!["name"]!;
            ((string)projection["type"]!).ShouldBe("projection");
            ((string)projection["lifecycle"]!).ShouldBe("inline", name);
            projection["version"]!.GetValue<int>().ShouldBe(1, name);
            ((string)projection["state"]!).ShouldBe("running", name);
            projection["high_water_mark"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(highWaterMark, name);
            projection["position"]!.GetValue<long>().ShouldBe(projection["high_water_mark"]!.GetValue<long>(), "an inline projection commits with its events");
            projection["lag"]!["events"]!.GetValue<long>().ShouldBe(0, name);
        }
    }

    [Fact]
    public async Task reports_every_projection_with_a_zero_lag_in_the_metrics()
    {
        var metrics = await api.Host.Send(HttpMethod.Get, "/metrics", token: null);

        metrics.Status.ShouldBe(HttpStatusCode.OK);
        foreach (var projection in new[] { "UserTimeline", "EventNameCatalog", "Timeline", "EventStats" })
        {
            metrics.Body.ShouldMatch($"(?m)^eventstore_projection_lag{{[^}}]*projection=\"{projection}\"[^}}]*}} 0$", customMessage: metrics.Body);
        }
    }

    [Fact]
    public async Task shows_a_projection_rebuilding_and_refuses_a_second_rebuild_with_409_while_it_runs()
    {
        // A rebuild of EventStats elsewhere (another node, the command line) holds its lock: here, the test.
        await using var elsewhere = await RebuildLocks.HoldAsync(api, "EventStats");

        var second = await api.Host.Send(HttpMethod.Post, "/admin/projections/EventStats/rebuild", token: ApiFixture.AdminToken);
        var all = await api.Host.Send(HttpMethod.Post, "/admin/projections/all/rebuild", token: ApiFixture.AdminToken);
        var status = (await api.Host.Get("/admin/projections", ApiFixture.AdminToken)).Json["data"]!.AsArray();

        second.ShouldBeError(HttpStatusCode.Conflict, "conflict", "name");
        all.ShouldBeError(HttpStatusCode.Conflict, "conflict", "name");
        ((string)status.Single(p => (string)p!["name"]! == "EventStats")!["state"]!).ShouldBe("rebuilding");
        ((string)status.Single(p => (string)p!["name"]! == "Timeline")!["state"]!).ShouldBe("running");
    }

    [Theory]
    [MemberData(nameof(AdminEndpoints))]
    public async Task refuses_a_request_without_a_token_with_401(string method, string url) =>
        (await api.Host.Send(new HttpMethod(method), url, token: null)).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");

    [Theory]
    [MemberData(nameof(AdminEndpoints))]
    public async Task refuses_a_workspace_token_with_403(string method, string url) =>
        (await api.Host.Send(new HttpMethod(method), url, token: ApiFixture.AcmeToken)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");

    [Fact]
    public async Task serves_an_operator_token() =>
        (await api.Host.Get("/admin/projections", ApiFixture.AdminToken)).Status.ShouldBe(HttpStatusCode.OK);
}
