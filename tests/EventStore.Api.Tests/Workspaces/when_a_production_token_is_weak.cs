using System.Text.RegularExpressions;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Workspaces;

/// <summary>
/// In Production a guessable configured token stops start-up with one readable line and a non-zero exit code, and
/// the compose file ships no default secret at all.
/// </summary>
public sealed partial class when_a_production_token_is_weak
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Start-up refuses before it connects anywhere: no database is needed.</summary>
    private const string Unreachable = "Host=127.0.0.1;Port=9;Database=none;Username=none;Password=none";

    [Fact]
    public async Task refuses_to_start_with_a_token_shorter_than_32_characters()
    {
        const string weak = "acme-short-token-31-characters!";
        await using var api = ApiProcess.Start(Unreachable, new Dictionary<string, string?> { ["Workspaces__0__AccessTokens__0"] = weak });

        var exitCode = await api.ExitCodeAsync(Deadline);

        exitCode.ShouldNotBe(0, api.OutputTail);
        var lines = api.OutputTail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.ShouldHaveSingleItem($"one readable line, no stack trace; got:{Environment.NewLine}{api.OutputTail}")
            .ShouldBe("Refusing to start in Production: the token Workspaces:0:AccessTokens:0 (workspace 'acme') has 31 characters, fewer than 32; " +
                      "set a random secret, e.g. `openssl rand -base64 32`.");
        api.OutputTail.ShouldNotContain(weak, Case.Sensitive, "a token must never be printed");
    }

    [Fact]
    public async Task refuses_to_start_with_a_documented_placeholder_as_operator_token()
    {
        await using var api = ApiProcess.Start(Unreachable, new Dictionary<string, string?> { ["Admin__AccessTokens__0"] = "change-me-too" });

        var exitCode = await api.ExitCodeAsync(Deadline);

        exitCode.ShouldNotBe(0, api.OutputTail);
        api.OutputTail.Trim().ShouldBe("Refusing to start in Production: the token Admin:AccessTokens:0 is a documented placeholder; " +
                                       "set a random secret, e.g. `openssl rand -base64 32`.");
    }

    [Fact]
    public void the_compose_file_requires_every_secret_and_defaults_none()
    {
        var compose = File.ReadAllText(Path.Combine(ServiceBuild.RepositoryRoot(), "docker-compose.yml"));
        var secrets = Variable().Matches(compose).Where(m => SecretName().IsMatch(m.Groups["name"].Value)).ToList();

        secrets.Select(m => m.Groups["name"].Value).Distinct().ShouldBe(["POSTGRES_PASSWORD", "EVENTSTORE_TOKEN", "EVENTSTORE_ADMIN_TOKEN"], ignoreOrder: true);
        secrets.ShouldAllBe(m => m.Groups["operator"].Value == ":?", "a secret must be required (${NAME:?message}), never defaulted: " +
                                                                     string.Join(", ", secrets.Select(m => m.Value)));
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Z0-9_]+)(?<operator>:?[-?])?")]
    private static partial Regex Variable();

    [GeneratedRegex("TOKEN|PASSWORD|SECRET")]
    private static partial Regex SecretName();
}
