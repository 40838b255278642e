using System.Net;
using EventStore.Api.Tests.Infrastructure;
using Marten;
using static EventStore.Api.Tests.Operations.OperationsScenarios;

namespace EventStore.Api.Tests.Operations;

/// <summary>
/// POST /admin/projections/{name}/rebuild replays the event log into the projection (ADR 0011): every read model
/// answers exactly as incremental processing built it, a damaged one is repaired, and the schema stays what
/// migrations expect. The tests of this class run one after another on one database, each rebuild on its own.
/// </summary>
public sealed class when_rebuilding_a_projection(ApiFixture api) : IClassFixture<ApiFixture>
{
    private Task Seeded() => api.SeedOnce(() => SeedPopulationAsync(api));

    public static TheoryData<string> Projections => ["UserTimeline", "EventNameCatalog", "Timeline", "EventStats", "all"];

    [Theory]
    [MemberData(nameof(Projections))]
    public async Task answers_every_read_exactly_as_before(string projection)
    {
        await Seeded();
        var before = await ReadAllAsync(api);

        await RebuildAsync(api, projection);

        ShouldAnswerAsBefore(await ReadAllAsync(api), before, $"after rebuilding {projection}");
    }

    [Fact]
    public async Task repairs_damaged_timelines_summaries_segments_and_snapshots()
    {
        await Seeded();
        var before = await ReadAllAsync(api);
        await api.DeleteTimelineEntries("acme", "signed-up");
        await api.InflateEventStats(100, "acme");
        await api.CorruptSnapshotEmail("acme", "ops-1", "wrong@example.org");
        (await ReadAllAsync(api)).ShouldNotBe(before, "the damage must show before the rebuild, or this test proves nothing");

        await RebuildAsync(api, "all");

        ShouldAnswerAsBefore(await ReadAllAsync(api), before, "once the rebuild repaired it");
    }

    [Fact]
    public async Task leaves_the_schema_as_migrations_expect_it()
    {
        await Seeded();

        await RebuildAsync(api, "Timeline");
        await RebuildAsync(api, "EventStats");

        // Throws with the differences if a table, index, constraint or sequence is not what the configuration says.
        await api.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task rebuilds_one_workspace_without_touching_the_others()
    {
        await Seeded();
        var globexBefore = await ReadAsync(api, "/segments/placed-order/users", ApiFixture.GlobexToken);
        await api.InflateEventStats(100);

        await RebuildAsync(api, "EventStats", workspace: "acme");

        (await api.Host.Get("/segments/placed-order/users?count_gt=50")).Json["total_count"]!.GetValue<int>()
            .ShouldBe(0, "acme's damage is repaired");
        (await ReadAsync(api, "/segments/placed-order/users", ApiFixture.GlobexToken))
            .ShouldNotBe(globexBefore, "globex was not part of the rebuild, so its damage is still there");
        await RebuildAsync(api, "EventStats", workspace: "globex");
        (await ReadAsync(api, "/segments/placed-order/users", ApiFixture.GlobexToken)).ShouldBe(globexBefore);
    }

    [Fact]
    public async Task reports_the_finished_job_with_its_progress_and_lists_it_in_the_status()
    {
        await Seeded();

        var job = await RebuildAsync(api, "Timeline");

        ((string)job["type"]!).ShouldBe("projection_rebuild");
        ((string)job["projection"]!).ShouldBe("Timeline");
        job["events_done"]!.GetValue<long>().ShouldBe(job["events_total"]!.GetValue<long>(), job.ToJsonString());
        job["events_total"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(6, "every tracked event of both workspaces was replayed");
        job["finished_at"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(job["started_at"]!.GetValue<long>());
        var status = (await api.Host.Get("/admin/projections", ApiFixture.AdminToken)).Json["data"]!.AsArray()
            .Single(p => (string)p!["name"]! == "Timeline")!;
        ((string)status["state"]!).ShouldBe("running");
        ((string)status["last_rebuild"]!["id"]!).ShouldBe((string)job["id"]!);
    }

    [Fact]
    public async Task records_the_finish_after_the_start()
    {
        await Seeded();

        var job = await RebuildAsync(api, "EventNameCatalog");

        // To the microsecond: the API's job resource rounds to seconds, which hides a finish stamped before the start.
        (await api.ScalarAsync<bool>("select finished_at >= started_at from eventstore.projection_rebuilds where id = $1", Guid.Parse((string)job["id"]!)))
            .ShouldBeTrue("the finish time must be when the job finished, not when its lock was taken");
    }

    [Fact]
    public async Task answers_404_for_a_projection_or_workspace_that_does_not_exist()
    {
        var unknownProjection = await api.Host.Send(HttpMethod.Post, "/admin/projections/NoSuchThing/rebuild", token: ApiFixture.AdminToken);
        var unknownWorkspace = await api.Host.Send(HttpMethod.Post, "/admin/projections/Timeline/rebuild?workspace=nobody", token: ApiFixture.AdminToken);
        var unknownJob = await api.Host.Get($"/admin/projections/rebuilds/{Guid.NewGuid():N}", ApiFixture.AdminToken);

        unknownProjection.ShouldBeError(HttpStatusCode.NotFound, "not_found", "name");
        unknownWorkspace.ShouldBeError(HttpStatusCode.NotFound, "not_found", "workspace");
        unknownJob.ShouldBeError(HttpStatusCode.NotFound, "not_found", "id");
    }
}
