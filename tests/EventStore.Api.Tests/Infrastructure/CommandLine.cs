namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The service's command line, run as the operator would: the service's own executable, in a process of its own,
/// configured by environment variables, against the fixture's database.
/// </summary>
public static class CommandLine
{
    /// <summary>What every run gets: the fixture's database, its two workspaces, logs kept to warnings.</summary>
    public static Dictionary<string, string?> Environment(ApiFixture api) => new()
    {
        ["DOTNET_ENVIRONMENT"] = "Testing",
        ["ASPNETCORE_ENVIRONMENT"] = "Testing",
        ["ConnectionStrings__Postgres"] = api.ConnectionString,
        ["Workspaces__0__Id"] = "acme",
        ["Workspaces__1__Id"] = "globex",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    public static Task<(int ExitCode, string Output, string Errors)> RunAsync(ApiFixture api, params string[] args) =>
        RunAsync(api, new Dictionary<string, string>(), args);

    /// <summary>With <paramref name="settings"/> (configuration keys, <c>:</c> or <c>__</c>) added to the environment of the command.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(ApiFixture api, IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        var environment = Environment(api);
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var run = await ServiceProcess.RunAsync(environment, args);
        return (run.ExitCode, run.Output, run.Errors);
    }
}
