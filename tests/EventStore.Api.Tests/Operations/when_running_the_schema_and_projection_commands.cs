using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Operations;

/// <summary>
/// The operator's schema and projection commands (docs/operations.md), run as a process of their own against the
/// fixture's database: <c>db-apply</c> puts a missing schema in place for the running service, <c>db-assert</c>
/// then finds nothing to change, and <c>projections list</c> shows every projection the guide documents, running.
/// </summary>
public sealed class when_running_the_schema_and_projection_commands(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task db_apply_creates_a_missing_schema_that_the_service_then_uses()
    {
        await api.ExecuteAsync("drop schema eventstore cascade");
        (await api.Host.Send(HttpMethod.Get, "/health/ready", token: null)).Status.ShouldBe(HttpStatusCode.ServiceUnavailable, "no schema, or this test proves nothing");

        var (exitCode, output, errors) = await CommandLine.RunAsync(api, "db-apply");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        (await CommandLine.RunAsync(api, "db-assert")).ExitCode.ShouldBe(0, "the schema is now exactly what this version expects");
        (await api.Host.Send(HttpMethod.Get, "/health/ready", token: null)).Status.ShouldBe(HttpStatusCode.OK);
        (await api.Host.PostEvent(Scenarios.Event(userId: "after-db-apply"))).Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.TrackedIn("acme")).ShouldContain(e => e.UserId == "after-db-apply");
    }

    [Fact]
    public async Task projections_list_shows_every_documented_projection_running()
    {
        var documented = DocumentedProjections();
        documented.ShouldNotBeEmpty("docs/operations.md lists the projections");

        var (exitCode, output, errors) = await CommandLine.RunAsync(api, "projections", "list");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        // The table is 80 columns wide when the output is not a terminal: names longer than 14 characters are wrapped.
        foreach (var name in documented)
        {
            output.ShouldContain(name[..Math.Min(14, name.Length)], Case.Sensitive, output);
        }

        (output.Split(" running ").Length - 1).ShouldBe(documented.Count, $"each projection running, none rebuilding or faulted: {output}");
    }

    /// <summary>The projections docs/operations.md's "Rebuilding projections" table names.</summary>
    private static List<string> DocumentedProjections()
    {
        var guide = File.ReadAllText(Path.Combine(ServiceBuild.RepositoryRoot(), "docs", "operations.md"));
        var section = guide[guide.IndexOf("## Rebuilding projections", StringComparison.Ordinal)..guide.IndexOf("### From the command line", StringComparison.Ordinal)];
        return [.. System.Text.RegularExpressions.Regex.Matches(section, @"^\| `(\w+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline).Select(m => m.Groups[1].Value)];
    }
}
