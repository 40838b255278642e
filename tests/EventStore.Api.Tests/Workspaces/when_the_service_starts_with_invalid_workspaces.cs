using Alba;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace EventStore.Api.Tests.Workspaces;

/// <summary>
/// Start-up refuses a workspace configuration that cannot be right (README, "Configuration"): a token configured
/// twice or empty, a workspace id out of its alphabet. The error names the workspace, never the token.
/// </summary>
public sealed class when_the_service_starts_with_invalid_workspaces(ApiFixture api) : IClassFixture<ApiFixture>
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
        var failure = await Should.ThrowAsync<Exception>(async () =>
        {
            await using var host = await AlbaHost.For<Program>(builder =>
            {
                builder.UseEnvironment("Testing");
                builder.UseSetting("ConnectionStrings:Postgres", api.ConnectionString);
                builder.UseSetting("Logging:LogLevel:Default", "Warning");
                foreach (var setting in settings)
                {
                    var split = setting.IndexOf('=', StringComparison.Ordinal);
                    builder.UseSetting(setting[..split], setting[(split + 1)..]);
                }
            });
        }, configuration);

        var message = string.Join(" | ", Messages(failure));
        message.ShouldContain(named, Case.Sensitive, $"{configuration}: the error says which workspace to fix");
        message.ShouldNotContain(Secret, Case.Sensitive, $"{configuration}: tokens are secrets, never written out");
    }

    private static IEnumerable<string> Messages(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e.Message;
        }
    }
}
