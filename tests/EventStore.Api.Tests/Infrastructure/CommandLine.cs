using System.Diagnostics;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The service's command line, run as the operator would: the service's own executable, in a process of its own,
/// configured by environment variables, against the fixture's database.
/// </summary>
public static class CommandLine
{
    /// <summary>Longest a command may run: the slowest, a rebuild of a small store, takes seconds.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    public static Task<(int ExitCode, string Output, string Errors)> RunAsync(ApiFixture api, params string[] args) =>
        RunAsync(api, new Dictionary<string, string>(), args);

    /// <summary>With <paramref name="settings"/> (configuration keys) added to the environment of the command.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(ApiFixture api, IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        var directory = ServiceBuild.Directory();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(directory, "EventStore.Api.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ConnectionStrings__Postgres"] = api.ConnectionString;
        start.Environment["Workspaces__0__Id"] = "acme";
        start.Environment["Workspaces__1__Id"] = "globex";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Marten"] = "Critical";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bounded.CancelAfter(Deadline);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            // Never leave the command running after the test: it holds connections to the fixture's database.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not finish within {Deadline.TotalSeconds:0} s:{Environment.NewLine}{await output}{Environment.NewLine}{await errors}");
        }

        return (process.ExitCode, await output, await errors);
    }
}
