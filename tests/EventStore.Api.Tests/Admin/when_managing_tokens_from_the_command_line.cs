using System.Net;
using System.Text.RegularExpressions;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Admin;

/// <summary>
/// <c>tokens create | list | revoke</c>, run as the operator would (the service's own executable, in a process of
/// its own, configured by environment variables) against the fixture's database; the fixture's host then
/// serves requests with what the command did.
/// </summary>
public sealed partial class when_managing_tokens_from_the_command_line(ApiFixture api) : IClassFixture<ApiFixture>
{
    [GeneratedRegex(@"^(es_[A-Za-z0-9_-]{43})$", RegexOptions.Multiline)]
    private static partial Regex Secret();

    [GeneratedRegex(@"\b(tok_[0-9a-f]{24})\b")]
    private static partial Regex TokenId();

    private Task<(int ExitCode, string Output, string Errors)> Run(params string[] args) => CommandLine.RunAsync(api, args);

    [Fact]
    public async Task creates_a_token_that_the_service_accepts()
    {
        var (exitCode, output, errors) = await Run("tokens", "create", "--workspace", "acme", "--scopes", "events:write,events:read", "--name", "cli");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        var secret = Secret().Match(output).Groups[1].Value;
        secret.ShouldNotBeEmpty($"the secret is printed on a line of its own: {output}");
        (await api.Host.PostEvent(Scenarios.Event(userId: "from-cli"), secret)).Status.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task lists_the_tokens_of_a_workspace()
    {
        var (id, secret) = await api.Host.CreateToken("acme", "events:read");

        var (exitCode, output, errors) = await Run("tokens", "list", "--workspace", "acme");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        output.ShouldContain(id);
        output.ShouldNotContain(secret, Case.Sensitive, "the list never shows a secret");
    }

    [Fact]
    public async Task revokes_a_token_so_that_the_service_refuses_it()
    {
        var (id, secret) = await api.Host.CreateToken("acme", "events:write");

        var (exitCode, output, errors) = await Run("tokens", "revoke", id);

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        (await api.Host.PostEvent(Scenarios.Event(userId: "revoked-by-cli"), secret)).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task fails_for_a_workspace_not_configured()
    {
        var (exitCode, output, _) = await Run("tokens", "create", "--workspace", "initech", "--scopes", "events:read");

        exitCode.ShouldNotBe(0);
        TokenId().IsMatch(output).ShouldBeFalse("no token was created");
    }

    [Fact]
    public async Task lists_under_a_header_naming_the_columns()
    {
        await api.Host.CreateToken("acme", "events:read");

        var (exitCode, output, errors) = await Run("tokens", "list", "--workspace", "acme");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        output.Split('\n')[0].ShouldMatch(@"^ID\s+WORKSPACE\s+SCOPES\s+CREATED\s+NAME", output);
    }

    [Fact]
    public async Task says_so_when_a_workspace_has_no_tokens()
    {
        var (exitCode, output, errors) = await Run("tokens", "list", "--workspace", "globex");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        output.ShouldContain("No tokens", Case.Sensitive, $"an empty list is said, not left blank: {output}");
    }
}
