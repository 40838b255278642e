using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Hosting;

/// <summary>
/// <c>describe</c> prints the configuration in effect, so an operator can paste it into a ticket: every secret (tokens,
/// passwords, identity-verification secrets, keys, headers) is redacted, by a rule on the key's name that also covers
/// keys added later.
/// </summary>
public sealed class when_describing_the_configuration(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly Dictionary<string, string> Secrets = new()
    {
        ["Admin__AccessTokens__0"] = "admin-secret-4f1d7a",
        ["Workspaces__0__AccessTokens__0"] = "acme-secret-9b2c5e",
        ["Workspaces__0__Browser__IdentitySecret"] = "identity-secret-3e8a1f",
        ["Telemetry__Otlp__ApiKey"] = "otlp-key-77c0d2",
        ["OTEL_EXPORTER_OTLP_HEADERS"] = "api-key=otlp-header-5a6b7c",
    };

    [Fact]
    public async Task shows_every_setting_and_no_secret()
    {
        var environment = CommandLine.Environment(api);
        foreach (var (key, value) in Secrets)
        {
            environment[key] = value;
        }

        environment["ConnectionStrings__Postgres"] = api.ConnectionString + ";Password=pg-password-2d4f6b";
        environment["Tracking__MetadataKeyCap"] = "12";

        var run = await ServiceProcess.RunAsync(environment, "describe");

        run.ExitCode.ShouldBe(0, run.ToString());
        var printed = run.ToString();
        foreach (var secret in Secrets.Values.Append("pg-password-2d4f6b"))
        {
            printed.ShouldNotContain(secret, Case.Insensitive, $"a secret is printed: {printed}");
        }

        foreach (var key in Secrets.Keys.Where(key => key.Contains("__", StringComparison.Ordinal)))
        {
            run.Output.ShouldContain(key.Replace("__", ":", StringComparison.Ordinal), Case.Sensitive, $"the setting is listed, redacted: {run.Output}");
        }

        run.Output.ShouldContain("Workspaces:0:Id", Case.Sensitive, run.Output);
        run.Output.ShouldContain("acme", Case.Sensitive, "settings that are not secret are shown");
        run.Output.ShouldContain("Tracking:MetadataKeyCap", Case.Sensitive, run.Output);
        run.Output.ShouldContain("database=", Case.Insensitive, "the connection string is shown without its password");
        run.Output.ShouldNotContain("PATH", Case.Sensitive, "the process's other environment variables are not the service's configuration");
    }
}
