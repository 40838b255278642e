using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Operations.OperationsScenarios;

namespace EventStore.Api.Tests.Operations;

/// <summary>
/// <c>projections rebuild</c>, run as a process against a seeded database, repairs the read models with the same
/// online rebuild the admin API starts, printing its progress; <c>-p Name</c> and <c>--workspace</c> (or <c>--tenant</c>) narrow it.
/// </summary>
public sealed class when_rebuilding_from_the_command_line(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task repairs_every_read_model_and_prints_its_progress()
    {
        await api.SeedOnce(() => SeedPopulationAsync(api));
        var before = await ReadAllAsync(api);
        await api.DeleteTimelineEntries(name: "signed-up");
        await api.DeleteEventStats();

        var (exitCode, output, errors) = await CommandLine.RunAsync(api, "projections", "rebuild");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        output.ShouldContain("UserTimeline: switched", customMessage: output);
        output.ShouldContain("Timeline+EventStats+EventActivity+SegmentChanges: switched", customMessage: "the four tables are rebuilt in one pass: " + output);
        output.ShouldMatch(@"Timeline\+EventStats\+EventActivity\+SegmentChanges: \w+ [\d,]+/[\d,]+ \(\d+%\), [\d,]+/s", customMessage: "events done / total and the rate");
        ShouldAnswerAsBefore(await ReadAllAsync(api), before, "after `projections rebuild`");
    }

    [Fact]
    public async Task rebuilds_one_projection_of_one_workspace_with_p_and_workspace()
    {
        await api.SeedOnce(() => SeedPopulationAsync(api));
        var acme = await ReadAsync(api, "/events?type=user&user_id=ops-1&per_page=100");
        await api.DeleteTimelineEntries();

        var (exitCode, output, errors) = await CommandLine.RunAsync(api, "projections", "-p", "Timeline", "rebuild", "--workspace", "acme");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        output.ShouldNotContain("EventStats", customMessage: "only the projection named with -p");
        (await ReadAsync(api, "/events?type=user&user_id=ops-1&per_page=100")).ShouldBe(acme);
        (await api.WorkspacesWithTimelineEntries()).ShouldBe(["acme"], "only acme was rebuilt");
    }

    [Fact]
    public async Task refuses_a_projection_that_does_not_exist()
    {
        var (exitCode, _, errors) = await CommandLine.RunAsync(api, "projections", "-p", "NoSuchThing", "rebuild");

        exitCode.ShouldNotBe(0);
        errors.ShouldContain("NoSuchThing");
    }

    [Fact]
    public async Task shows_one_line_per_projection_rewritten_in_place_on_a_terminal()
    {
        await api.SeedOnce(() => SeedPopulationAsync(api));
        var command = $"dotnet '{Path.Combine(ServiceBuild.Directory(), "EventStore.Api.dll")}' projections -p UserTimeline rebuild";

        // script(1) gives the command a terminal, as an operator's shell does.
        var run = await ServiceProcess.RunWith("script", CommandLine.Environment(api), ServiceProcess.Deadline, "-qec", command, "/dev/null");

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Output.ShouldContain("\u001b[K", Case.Sensitive, "the line is rewritten in place");
        run.Output.Split('\n').Count(line => line.Contains("UserTimeline:", StringComparison.Ordinal)).ShouldBe(1, run.Output);
        run.Output.ShouldContain("UserTimeline: switched", Case.Sensitive, run.Output);
    }

    [Fact]
    public async Task refuses_a_workspace_that_is_not_configured()
    {
        var (exitCode, output, errors) = await CommandLine.RunAsync(api, "projections", "rebuild", "--tenant", "initech");

        exitCode.ShouldBe(1, $"{output}\n{errors}");
        errors.ShouldContain("'initech'", Case.Sensitive, errors);
        output.ShouldNotContain("Rebuilt", Case.Sensitive, "nothing was rebuilt");
    }

    [Fact]
    public async Task lists_the_projections_one_per_line()
    {
        var (exitCode, output, errors) = await CommandLine.RunAsync(api, "projections", "list");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        var lines = output.Split('\n');
        foreach (var name in new[] { "UserTimeline", "EventNameCatalog", "Timeline", "EventStats" })
        {
            lines.ShouldContain(line => line.StartsWith(name + " ", StringComparison.Ordinal), $"{name} on a line of its own: {output}");
        }

        (output + errors).ShouldNotContain("Cannot override", Case.Sensitive);
    }
}
