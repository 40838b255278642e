using EventStore.Api.Tests.Infrastructure;
using Npgsql;

namespace EventStore.Api.Tests.Persistence;

/// <summary>
/// <c>db-assert</c>, <c>db-patch</c> and <c>db-apply</c> exactly as docs/operations.md writes them, against a database
/// the service has never seen: the check names the differences, the patch is written for a DBA to review, the apply
/// migrates, after which the check passes and there is nothing left to patch.
/// </summary>
public sealed class when_migrating_from_the_command_line(PostgresServer postgres)
{
    [Fact]
    public async Task checks_patches_and_applies_an_empty_database()
    {
        var connectionString = await postgres.CreateDatabaseAsync("migrating");
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Workspaces__0__Id"] = "acme",
        };
        var patch = Path.Combine(Path.GetTempPath(), $"migration-{Guid.NewGuid():N}.sql");
        try
        {
            var differs = await ServiceProcess.RunAsync(environment, "db-assert");
            differs.ExitCode.ShouldBe(1, differs.ToString());

            var patched = await ServiceProcess.RunAsync(environment, "db-patch", patch);
            patched.ExitCode.ShouldBe(0, patched.ToString());
            var sql = await File.ReadAllTextAsync(patch, TestContext.Current.CancellationToken);
            sql.ShouldContain("eventstore.mt_events", Case.Insensitive, "the event store's tables are in the patch");
            sql.ShouldContain("eventstore.timeline_entries", Case.Insensitive, "and the read models'");
            (await TableCount(connectionString)).ShouldBe(0, "db-patch writes the SQL instead of running it");

            var applied = await ServiceProcess.RunAsync(environment, "db-apply");
            applied.ExitCode.ShouldBe(0, applied.ToString());

            var matches = await ServiceProcess.RunAsync(environment, "db-assert");
            matches.ExitCode.ShouldBe(0, matches.ToString());
            File.Delete(patch);
            var nothingLeft = await ServiceProcess.RunAsync(environment, "db-patch", patch);
            nothingLeft.ExitCode.ShouldBe(0, nothingLeft.ToString());
            File.Exists(patch).ShouldBeFalse("no differences, no patch");
            nothingLeft.Output.ShouldContain("no differences", Case.Insensitive, nothingLeft.ToString());
        }
        finally
        {
            File.Delete(patch);
        }
    }

    private static async Task<long> TableCount(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("select count(*) from information_schema.tables where table_schema = 'eventstore'", connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
