using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Hosting;

/// <summary>
/// The service's executable as a command line: help lists the service's own commands, described, and nothing of the
/// frameworks' internals; <c>--help</c> works as everywhere else; a mistake is named; and every command's first line
/// of output is its own.
/// </summary>
public sealed class when_using_the_command_line(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string[] ServiceCommands = ["tokens", "projections", "db-apply", "db-assert", "db-patch", "describe"];

    private static readonly string[] FrameworkInternals = ["clear-handled", "scaffold", "storage", "rebuild-projections", "event-model", "capabilities", "check-env"];

    private Task<(int ExitCode, string Output, string Errors)> Run(params string[] args) => CommandLine.RunAsync(api, args);

    [Theory]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task lists_the_services_commands_with_what_they_do(string help)
    {
        var (exitCode, output, errors) = await Run(help);

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        foreach (var command in ServiceCommands)
        {
            output.ShouldContain($"  {command}", Case.Sensitive, $"'{command}' is listed: {output}");
        }

        foreach (var internals in FrameworkInternals)
        {
            output.ShouldNotContain(internals, Case.Sensitive, $"'{internals}' is not one of the service's commands: {output}");
        }

        output.ShouldNotContain("Searching", Case.Sensitive, output);
    }

    [Theory]
    [InlineData("tokens", "--help")]
    [InlineData("help", "tokens")]
    [InlineData("--help", "tokens")]
    public async Task shows_how_to_use_one_command(string first, string second)
    {
        var (exitCode, output, errors) = await Run(first, second);

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        output.ShouldContain("--workspace", Case.Sensitive, output);
        output.ShouldNotContain("Invalid usage", Case.Sensitive, output);
    }

    [Fact]
    public async Task names_a_command_it_does_not_know()
    {
        var (exitCode, output, errors) = await Run("frobnicate");

        exitCode.ShouldBe(1, $"{output}\n{errors}");
        errors.ShouldContain("'frobnicate'", Case.Sensitive, errors);
        errors.ShouldContain("help", Case.Sensitive, "it says where the commands are listed");
    }

    [Fact]
    public async Task prints_the_commands_own_output_first()
    {
        await api.Host.CreateToken("acme", "events:read");

        var (exitCode, output, errors) = await Run("tokens", "list");

        exitCode.ShouldBe(0, $"{output}\n{errors}");
        output.Split('\n')[0].ShouldStartWith("ID", Case.Sensitive, $"the table's header comes first: {output}");
        errors.ShouldBeEmpty();
    }
}
