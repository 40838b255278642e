using System.Diagnostics;

namespace EventStore.Benchmarks.Orchestration;

/// <summary>
/// The API published in Release to a folder of the run's own, so other engineers rebuilding src/ meanwhile cannot swap
/// the binaries under a running measurement; and the environment every API process of the run gets.
/// </summary>
internal sealed class ApiDeployment
{
    public const string WorkspaceId = "bench";

    public const string RateLimitSetting = "RateLimits__RequestsPerWindow";

    private ApiDeployment(string dllPath)
    {
        DllPath = dllPath;
    }

    public string DllPath { get; }

    public string WorkspaceToken { get; } = "bench_" + Guid.NewGuid().ToString("N");

    public string AdminToken { get; } = "bench_admin_" + Guid.NewGuid().ToString("N");

    public static async Task<ApiDeployment> PublishAsync(string repositoryRoot, string workDirectory, CancellationToken cancellation)
    {
        var output = Path.Combine(workDirectory, "api");
        var project = Path.Combine(repositoryRoot, "src", "EventStore.Api", "EventStore.Api.csproj");
        Console.WriteLine($"Publishing the API (Release) to {output} ...");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "publish", project, "-c", "Release", "-o", output, "--nologo", "-v", "quiet" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var result = await ProcessOutput.RunAsync(startInfo, TimeSpan.FromMinutes(10), cancellation);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of the API failed (exit {result.ExitCode}):{Environment.NewLine}{result.Output}");
        }

        return new ApiDeployment(Path.Combine(output, "EventStore.Api.dll"));
    }

    /// <summary>Prefix of the harness's environment variables passed on to the API without it, to compare settings.</summary>
    public const string OverridePrefix = "BENCH_API_";

    /// <summary>
    /// The API's environment variables given as <c>BENCH_API_&lt;name&gt;</c> to the harness (for example
    /// <c>BENCH_API_DOTNET_TieredPGO=0</c>): they reach the API only, not the harness's own baselines.
    /// </summary>
    public static IReadOnlyList<(string Name, string Value)> Overrides { get; } =
        [.. Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(v => v.Key is string key && key.StartsWith(OverridePrefix, StringComparison.Ordinal) && key.Length > OverridePrefix.Length)
            .Select(v => (((string)v.Key)[OverridePrefix.Length..], v.Value as string ?? ""))
            .OrderBy(v => v.Item1, StringComparer.Ordinal)];

    /// <summary><c>dotnet EventStore.Api.dll [arguments]</c> with the benchmark's configuration in the environment.</summary>
    public ProcessStartInfo StartInfo(string connectionString, Uri? listenOn, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetDirectoryName(DllPath)!,
        };
        startInfo.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var environment = startInfo.Environment;
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["DOTNET_ENVIRONMENT"] = "Production";
        environment["ConnectionStrings__Postgres"] = connectionString;
        environment["Workspaces__0__Id"] = WorkspaceId;
        environment["Workspaces__0__AccessTokens__0"] = WorkspaceToken;
        environment["Admin__AccessTokens__0"] = AdminToken;
        environment["Tracking__ActiveEventNameCap"] = "1000";
        environment["Logging__LogLevel__Default"] = "Warning";
        // The per-workspace rate limit (1,000 requests per 10 s by default) would measure the limiter, not the store.
        environment[RateLimitSetting] = "0";
        foreach (var (name, value) in Overrides)
        {
            environment[name] = value;
        }

        if (listenOn is not null)
        {
            environment["ASPNETCORE_URLS"] = listenOn.ToString().TrimEnd('/');
        }

        return startInfo;
    }
}
