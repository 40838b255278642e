using EventStore.Api.Admin;
using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Api.Workspaces;
using JasperFx.CodeGeneration.Commands;
using JasperFx.CommandLine;
using JasperFx.CommandLine.Help;

namespace EventStore.Api.Hosting;

/// <summary>
/// The service's executable: without a command it runs the service; with one of <see cref="Commands"/> it administers
/// it. Only these commands exist (JasperFx's command runner parses them, but none of the frameworks' own commands is
/// offered and no assembly is scanned, so nothing is printed before the command's own output). Help and mistakes are
/// answered before the host is built, so they need no database. A start-up failure with a known cause (address in
/// use, database unreachable, a setting the binder cannot read) is one line on standard error, not a stack trace.
/// </summary>
public static class ServiceCommandLine
{
    /// <summary>The commands, in the order help lists them, with the usage and description it shows.</summary>
    public static readonly IReadOnlyList<(string Name, Type Type, string Usage, string Description)> Commands =
    [
        ("tokens", typeof(TokensCommand), "tokens create --workspace <id> --scopes <list> [--name <text>]", "issue a workspace access token (its secret is shown once)"),
        ("tokens", typeof(TokensCommand), "tokens list [--workspace <id>]", "the issued tokens not revoked (never their secrets)"),
        ("tokens", typeof(TokensCommand), "tokens revoke <tok_id>", "revoke an issued token, on every node at once"),
        ("projections", typeof(ProjectionsCommand), "projections list", "the projections and their state"),
        ("projections", typeof(ProjectionsCommand), "projections rebuild [-p <name>] [--workspace <id>]", "rebuild from the event log while the service runs"),
        ("db-apply", typeof(DatabaseApplyCommand), "db-apply", "create or migrate the database schema"),
        ("db-assert", typeof(DatabaseAssertCommand), "db-assert", "check the schema: exit code 1 and the differences when it is not what this version expects"),
        ("db-patch", typeof(DatabasePatchCommand), "db-patch <file>", "write the migration SQL to <file> for review instead of running it"),
        ("describe", typeof(DescribeCommand), "describe", "version, environment and the settings in effect (secrets redacted)"),
        ("codegen", typeof(GenerateCodeCommand), "codegen write", "(developers) regenerate Wolverine's code in Internal/Generated"),
    ];

    private static readonly string[] HelpFlags = ["--help", "-h", "-?", "/?"];

    /// <summary>True when <paramref name="args"/> name a command rather than options or settings (<c>Key=value</c>) of the service itself.</summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && !args[0].StartsWith('-') && !args[0].Contains('=') && args[0] != "run";

    /// <summary>
    /// Answers help (<c>help</c>, <c>--help</c>, <c>help &lt;command&gt;</c>, <c>&lt;command&gt; --help</c>) and unknown
    /// commands without building the host; null when the host is needed.
    /// </summary>
    public static async Task<int?> AnswerWithoutHostAsync(string[] args)
    {
        if (args.Length > 0 && (args[0] == "help" || HelpFlags.Contains(args[0])))
        {
            var asked = args.Skip(1).FirstOrDefault(arg => !HelpFlags.Contains(arg));
            if (asked is null)
            {
                Console.Out.Write(Help());
                return 0;
            }

            return await UsageAsync(asked);
        }

        if (!IsCommand(args))
        {
            return null;
        }

        if (!Commands.Any(c => c.Name == args[0]))
        {
            return await NotACommandAsync(args[0]);
        }

        return args.Skip(1).Any(HelpFlags.Contains) ? await UsageAsync(args[0]) : null;
    }

    /// <summary>Runs the service (no command), or the command <paramref name="args"/> name, with the built <paramref name="app"/>.</summary>
    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        if (IsCommand(args))
        {
            return await new CommandExecutor(Factory(app)).ExecuteAsync(Normalized(args));
        }

        if (app.Services.GetRequiredService<AccessTokens>().Workspaces.Count == 0)
        {
            app.Logger.LogWarning("No workspace is configured (Workspaces:N:Id, Workspaces:N:AccessTokens:M): every workspace request will be refused with 401");
        }

        foreach (var key in StartupCheck.UnknownKeys(app.Configuration))
        {
            app.Logger.LogWarning("The setting {Key} is not one the service reads (a typo?); it is ignored", key);
        }

        // Read before running: when a start fails, the host is already disposed by the time the failure is described.
        var configuration = app.Configuration;
        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (StartupFailure.Describe(e, configuration) is { } failure)
        {
            await Console.Error.WriteLineAsync(failure.Message);
            return failure.ExitCode;
        }
    }

    private static async Task<int> UsageAsync(string command)
    {
        if (!Commands.Any(c => c.Name == command))
        {
            return await NotACommandAsync(command);
        }

        var usage = Factory(host: null).BuildRun(["help", command]);
        ((HelpInput)usage.Input).AppName = "dotnet EventStore.Api.dll";
        await usage.Execute();
        return 0;
    }

    private static async Task<int> NotACommandAsync(string command)
    {
        await Console.Error.WriteLineAsync($"'{command}' is not a command of this service. Run it with help (or --help) to list them.");
        return 1;
    }

    /// <summary><c>--tenant</c> is the older name of <c>projections</c>' <c>--workspace</c>.</summary>
    private static string[] Normalized(string[] args) =>
        args[0] == "projections" ? [.. args.Select(arg => arg == "--tenant" ? "--workspace" : arg)] : args;

    private static CommandFactory Factory(WebApplication? host)
    {
        var factory = new CommandFactory();
        foreach (var type in Commands.Select(c => c.Type).Distinct())
        {
            factory.RegisterCommand(type);
        }

        factory.ConfigureRun = run =>
        {
            if (run.Input is IHostBuilderInput input && host is not null)
            {
                input.HostBuilder = new BuiltHost(host);
            }
        };
        return factory;
    }

    private static string Help()
    {
        var rows = Commands.Select(c => (c.Usage, c.Description)).Append((Usage: "help [command]", Description: "this text, or a command's options")).ToList();
        var width = rows.Max(row => row.Usage.Length) + 2;
        var commands = string.Join(Environment.NewLine, rows.Select(row => $"  {row.Usage.PadRight(width)}{row.Description}"));
        return $"""
            Event store: a self-hosted replacement for Intercom's Data Events API.

            Usage: dotnet EventStore.Api.dll [command] [options]
                   dotnet run --project src/EventStore.Api -- [command] [options]   (from a source checkout)

            Without a command, runs the service (it listens on --urls or ASPNETCORE_URLS).

            Commands:
            {commands}

            Commands read the service's configuration: appsettings.json, then environment variables
            (e.g. ConnectionStrings__Postgres, Workspaces__0__Id), then --Key=value arguments.
            Operator's guide: docs/operations.md

            """;
    }
}
