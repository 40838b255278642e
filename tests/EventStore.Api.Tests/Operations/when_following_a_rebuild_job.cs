using System.Net;
using System.Text.Json.Nodes;
using Alba;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using static EventStore.Api.Tests.Operations.OperationsScenarios;

namespace EventStore.Api.Tests.Operations;

/// <summary>A service whose rebuilds wait up to 30 s for the writers they hold, so that a test can keep one running.</summary>
public sealed class PatientRebuilds(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Operations:Rebuild:WriterLockTimeoutSeconds"] = "30",
    };
}

/// <summary>
/// Following a rebuild over HTTP as docs/operations.md shows it: the 202's <c>Location</c> is the job, a second
/// request while it runs is a 409 with the running job's <c>Location</c>, and a job whose service stopped while it
/// ran is <c>interrupted</c> (nothing faulted: start it again). Rebuilds are kept running by holding the event log,
/// which a rebuild must lock briefly to mark where its replay ends.
/// </summary>
public sealed class when_following_a_rebuild_job(PatientRebuilds api) : IClassFixture<PatientRebuilds>
{
    [Fact]
    public async Task points_the_202_at_the_job_and_a_409_at_the_running_one()
    {
        await api.SeedOnce(() => SeedPopulationAsync(api));
        Response started, refused, running;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            started = await Rebuild(api.Host, "Timeline");
            started.Status.ShouldBe(HttpStatusCode.Accepted, started.Body);
            await held.WaitForWaitersAsync();
            refused = await Rebuild(api.Host, "Timeline");
            running = await api.Host.Get(started.Headers["Location"], ApiFixture.AdminToken);
        }

        var job = started.Json["id"]!.GetValue<string>();
        started.Headers["Location"].ShouldBe($"/admin/projections/rebuilds/{job}");
        refused.ShouldBeError(HttpStatusCode.Conflict, "conflict", "name");
        refused.Headers["Location"].ShouldBe(started.Headers["Location"], "the 409 points at the rebuild that is running");
        running.Status.ShouldBe(HttpStatusCode.OK, running.Body);
        running.Json["id"]!.GetValue<string>().ShouldBe(job);
        running.Json["state"]!.GetValue<string>().ShouldBe("running");
        (await WaitForAsync(api, started.Json))["state"]!.GetValue<string>().ShouldBe("succeeded");
    }

    [Fact]
    public async Task reports_a_rebuild_whose_service_stopped_as_interrupted_and_faults_nothing()
    {
        await api.SeedOnce(() => SeedPopulationAsync(api));
        JsonNode job;
        await using (var held = await HeldCommits.HoldAsync(api))
        {
            // Another node of the same service starts the rebuild, and is stopped while it runs.
            var node = await AlbaHost.For<Program>(builder =>
            {
                builder.UseEnvironment("Testing");
                builder.UseSetting("ConnectionStrings:Postgres", api.ConnectionString);
                builder.UseSetting("Workspaces:0:Id", "acme");
                builder.UseSetting("Workspaces:1:Id", "globex");
                builder.UseSetting("Admin:AccessTokens:0", ApiFixture.AdminToken);
                builder.UseSetting("Operations:Rebuild:WriterLockTimeoutSeconds", "30");
                builder.UseSetting("Logging:LogLevel:Default", "None");
            });
            await using (node)
            {
                var started = await Rebuild(node, "Timeline");
                started.Status.ShouldBe(HttpStatusCode.Accepted, started.Body);
                job = started.Json;
                await held.WaitForWaitersAsync();
            }
        }

        var interrupted = await WaitForAsync(api, job);
        interrupted["state"]!.GetValue<string>().ShouldBe("interrupted", interrupted.ToJsonString());
        var status = (await api.Host.Get("/admin/projections", ApiFixture.AdminToken)).Json["data"]!.AsArray()
            .Single(p => p!["name"]!.GetValue<string>() == "Timeline")!;
        status["state"]!.GetValue<string>().ShouldBe("running", "an interrupted rebuild faults nothing: the previous version is still served");
        (await RebuildAsync(api, "Timeline"))["state"]!.GetValue<string>().ShouldBe("succeeded", "and it can be started again");
    }

    private static Task<Response> Rebuild(IAlbaHost host, string projection) =>
        host.Send(HttpMethod.Post, $"/admin/projections/{projection}/rebuild", token: ApiFixture.AdminToken);
}
