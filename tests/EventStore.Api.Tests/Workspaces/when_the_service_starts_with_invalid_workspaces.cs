using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Workspaces;

/// <summary>
/// Start-up refuses a workspace configuration that cannot be right (README, "Configuration"): a token configured
/// twice or empty, a workspace id out of its alphabet. The error names the workspace, never the token: the real process, as an operator starts it.
/// </summary>
public sealed class when_the_service_starts_with_invalid_workspaces(PostgresServer postgres)
{
    private const string Secret = "a-secret-token-0123456789";

    public static TheoryData<string, string[], string> InvalidConfigurations => new()
    {
        { "a token in two workspaces", ["Workspaces:0:Id=acme", $"Workspaces:0:AccessTokens:0={Secret}", "Workspaces:1:Id=globex", $"Workspaces:1:AccessTokens:0={Secret}"], "globex" },
        { "a token twice in one workspace", ["Workspaces:0:Id=acme", $"Workspaces:0:AccessTokens:0={Secret}", $"Workspaces:0:AccessTokens:1={Secret}"], "acme" },
        { "an operator token that is a workspace token", ["Workspaces:0:Id=acme", $"Workspaces:0:AccessTokens:0={Secret}", $"Admin:AccessTokens:0={Secret}"], "Admin" },
        { "an empty token", ["Workspaces:0:Id=acme", "Workspaces:0:AccessTokens:0= "], "acme" },
        { "an upper-case workspace id", ["Workspaces:0:Id=Acme", $"Workspaces:0:AccessTokens:0={Secret}"], "Acme" },
        { "a workspace id with a space", ["Workspaces:0:Id=acme corp", $"Workspaces:0:AccessTokens:0={Secret}"], "acme corp" },
        { "a workspace id of 65 characters", [$"Workspaces:0:Id={new string('w', 65)}", $"Workspaces:0:AccessTokens:0={Secret}"], new string('w', 65) },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigurations))]
    public async Task refuses_to_start_naming_the_workspace_and_not_the_token(string configuration, string[] settings, string named)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Testing",
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ApiProcess.FreePort()}",
            ["ConnectionStrings__Postgres"] = await postgres.CreateDatabaseAsync("workspaces"),
        };
        foreach (var setting in settings)
        {
            var split = setting.IndexOf('=', StringComparison.Ordinal);
            environment[setting[..split].Replace(":", "__", StringComparison.Ordinal)] = setting[(split + 1)..];
        }

        // The service must stop by itself; were it to start instead, the deadline ends the run and fails the test.
        var run = await ServiceProcess.RunAsync(environment, TimeSpan.FromSeconds(45));

        run.ExitCode.ShouldBe(78, $"{configuration}: {run}");
        run.Errors.ShouldContain(named, Case.Sensitive, $"{configuration}: the error says which workspace to fix: {run}");
        run.ToString().ShouldNotContain(Secret, Case.Sensitive, $"{configuration}: tokens are secrets, never written out");
    }
}
