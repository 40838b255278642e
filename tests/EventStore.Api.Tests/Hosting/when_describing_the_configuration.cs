using EventStore.Api.Hosting;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Hosting;

/// <summary>
/// <c>describe</c> prints every configuration value; the secrets among them are masked. Each secret repeats a
/// three-character motif that nothing else prints, so that a leak shows even where the console wraps a value.
/// </summary>
public sealed class when_describing_the_configuration(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task masks_identity_secrets_access_tokens_and_passwords()
    {
        var settings = new Dictionary<string, string>
        {
            ["Workspaces:0:Browser:AllowedOrigins:0"] = "https://app.example.com",
            ["Workspaces:0:Browser:IdentitySecret"] = string.Concat(Enumerable.Repeat("Zq9", 8)),
            ["Workspaces:0:AccessTokens:0"] = string.Concat(Enumerable.Repeat("Xw7", 8)),
            ["Admin:AccessTokens:0"] = string.Concat(Enumerable.Repeat("Kj4", 8)),
            ["ConnectionStrings:Postgres"] = api.ConnectionString + ";Password=" + string.Concat(Enumerable.Repeat("Pv5", 4)),
        };

        var (exitCode, output, errors) = await CommandLine.RunAsync(api, settings, "describe");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        output.ShouldContain("IConfiguration Preview");
        output.ShouldContain(DescribedConfiguration.Mask);
        foreach (var motif in new[] { "Zq9", "Xw7", "Kj4", "Pv5" })
        {
            (output + errors).ShouldNotContain(motif, Case.Sensitive, $"a secret made of {motif} was printed");
        }
    }
}
