namespace EventStore.Api.Tests.Docs;

/// <summary>
/// Every command of README.md, CONTRIBUTING.md and docs/**/*.md works exactly as written. A fenced block says what it is (<c>sh</c> for
/// commands); every command of an <c>sh</c> block is run, in order, in a sandbox of its own (<see cref="DocsSandbox"/>),
/// and must succeed unless <see cref="Expected"/> says otherwise, or is listed in <see cref="NotRun"/> with the reason
/// it cannot run. A new command is therefore run as soon as it is written. CI runs this as root; elsewhere, without
/// root, the run itself is skipped (set <c>EVENTSTORE_DOCS_CHECK=required</c> to make that a failure), the rest is not.
/// </summary>
public sealed class when_running_the_documented_commands
{
    /// <summary>Commands that cannot run here, by their first line without its comment, and why.</summary>
    private static readonly Dictionary<string, string> NotRun = new()
    {
        ["dotnet test"] = "the test command itself: .ci/run runs it, exactly as written",
        ["EVENTSTORE_TEST_POSTGRES=\"Host=localhost;Port=5432;Database=postgres;Username=me;Password=secret\" dotnet test"] =
            "the whole suite again, against a server of the reader's own",
        ["docker compose up --build"] = "needs a Docker engine, which CI machines do not have",
        ["dotnet run -c Release --project tests/EventStore.Benchmarks -- all"] = "a benchmark of about twenty minutes on a quiet machine",
    };

    /// <summary>What the commands that must do more than exit 0 do, by their first line without its comment.</summary>
    private static readonly Dictionary<string, Expectation> Expected = new()
    {
        ["dotnet run --project src/EventStore.Api"] =
            Expectation.Service("http://localhost:5080/health/ready", output: "Event tracking service is ready at http://localhost:5080"),
        ["curl -i -X POST http://localhost:5080/events"] = new(Output: "HTTP/1.1 202 Accepted"),
        ["ASPNETCORE_URLS=http://0.0.0.0:8080 dotnet out/EventStore.Api.dll"] =
            Expectation.Service("http://localhost:8080/health/ready", standardOutputFile: "eventstore.log"),
        ["dotnet out/EventStore.Api.dll describe"] = new(Output: "Admin:AccessTokens:0 = ***"),
        ["dotnet out/EventStore.Api.dll tokens create --workspace acme --scopes events:write,events:read --name \"ios app\""] =
            new(Output: "The token is shown only this once"),
        ["dotnet out/EventStore.Api.dll tokens list --workspace acme"] = new(Output: "ios app"),
        ["dotnet out/EventStore.Api.dll tokens revoke tok_0123456789abcdef01234567"] = new(ExitCode: 1, Output: "No token has the id"),
        ["dotnet out/EventStore.Api.dll projections list"] = new(Output: "EventStats"),
        ["dotnet out/EventStore.Api.dll projections rebuild"] = new(Output: "Rebuilt UserTimeline,EventNameCatalog,Timeline,EventStats,EventActivity,SegmentChanges (workspace all)."),
        ["dotnet out/EventStore.Api.dll projections -p EventStats rebuild --workspace acme"] = new(Output: "Rebuilt EventStats (workspace acme)."),
        ["curl -s -i -X POST -H \"Authorization: Bearer $ADMIN\" \"http://localhost:8080/admin/projections/EventStats/rebuild?workspace=acme\""] =
            new(Output: "HTTP/1.1 202 Accepted"),
        ["curl -s -H \"Authorization: Bearer $ADMIN\" \"http://localhost:8080$JOB\""] = new(Output: "\"type\":\"projection_rebuild\""),
        ["curl -s -H \"Authorization: Bearer $ADMIN\" http://localhost:8080/admin/projections"] = new(Output: "\"type\":\"projection.list\""),
    };

    /// <summary>Documents whose commands reach PostgreSQL as the host <c>db</c> (the operator's own server).</summary>
    private static readonly string[] UsingTheHostDb = ["docs/operations.md"];

    public static TheoryData<string> Documents => [.. DocumentedCommands.Documents().Where(document => DocumentedCommands.Of(document).Count > 0)];

    [Fact]
    public void every_fenced_block_says_what_it_is()
    {
        var unlabeled = DocumentedCommands.Documents().SelectMany(DocumentedCommands.Blocks)
            .Where(block => block.Label != DocumentedCommands.Commands && !DocumentedCommands.OtherLabels.Contains(block.Label))
            .Select(block => $"{block.Document}:{block.Line} ```{block.Label}").ToList();

        unlabeled.ShouldBeEmpty($"label a block ```{DocumentedCommands.Commands} when its lines are commands (they are then run), or one of "
            + $"{string.Join(", ", DocumentedCommands.OtherLabels)} when it shows output or another language");
    }

    [Fact]
    public void every_command_listed_here_is_still_in_the_docs()
    {
        var keys = DocumentedCommands.Documents().SelectMany(DocumentedCommands.Of).Select(command => command.Key).ToHashSet();

        NotRun.Keys.Concat(Expected.Keys).Where(key => !keys.Contains(key)).ShouldBeEmpty("commands no document has any more: remove them from this test");
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task work_as_written(string document)
    {
        if (DocsSandbox.Unavailable() is { } reason)
        {
            if (Environment.GetEnvironmentVariable("EVENTSTORE_DOCS_CHECK") == "required")
            {
                Assert.Fail(reason);
            }

            Assert.Skip(reason);
        }

        var commands = DocumentedCommands.Of(document).Where(command => !NotRun.ContainsKey(command.Key))
            .Select(command => (command, Expected.GetValueOrDefault(command.Key, Expectation.Succeeds))).ToList();

        var runs = await DocsSandbox.RunAsync(commands, database: UsingTheHostDb.Contains(document));

        foreach (var (run, expected) in runs.Zip(commands.Select(c => c.Item2)))
        {
            run.ExitCode.ShouldBe(expected.ExitCode, $"{run.Command} (as written, exit code){Environment.NewLine}{run.Output}");
            if (expected.Output is { } output)
            {
                run.Output.ShouldContain(output, Case.Sensitive, $"{run.Command}{Environment.NewLine}{run.Output}");
            }
        }
    }
}
