using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EventStore.Benchmarks.Orchestration;

namespace EventStore.Benchmarks.Load;

/// <summary>Runs wrk (a separate process) for a fixed duration against the API on 127.0.0.1.</summary>
internal static class Wrk
{
    public const string InstallCommand = "apt-get update && apt-get install -y wrk";

    // Bulk requests at 128 connections can take seconds; wrk's 2 s default would count them as lost.
    private const string RequestTimeout = "120s";

    public static bool IsInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, "wrk")));

    public static async Task<string> VersionAsync(CancellationToken cancellation)
    {
        var result = await ProcessOutput.RunAsync(new ProcessStartInfo("wrk", "-v"), TimeSpan.FromSeconds(10), cancellation);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "wrk";
    }

    public static async Task<WrkResult> RunAsync(
        Uri baseAddress, WrkScript script, int connections, TimeSpan duration, string workDirectory, CancellationToken cancellation)
    {
        if (!baseAddress.IsLoopback)
        {
            throw new InvalidOperationException($"Refusing to send load to {baseAddress}: only 127.0.0.1 is allowed.");
        }

        var threads = Math.Min(connections, Environment.ProcessorCount);
        var scriptPath = Path.Combine(workDirectory, $"wrk-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(scriptPath, script.Render(threads), cancellation);
        var startInfo = new ProcessStartInfo("wrk")
        {
            ArgumentList =
            {
                "-t", threads.ToString(CultureInfo.InvariantCulture),
                "-c", connections.ToString(CultureInfo.InvariantCulture),
                "-d", $"{duration.TotalSeconds:0}s",
                "--timeout", RequestTimeout,
                "-s", scriptPath,
                baseAddress.ToString(),
            },
        };
        var run = await ProcessOutput.RunAsync(startInfo, duration + TimeSpan.FromMinutes(3), cancellation);
        var resultLine = run.Output.Split('\n').FirstOrDefault(line => line.StartsWith(WrkScript.ResultMarker, StringComparison.Ordinal));
        if (run.ExitCode != 0 || resultLine is null)
        {
            throw new InvalidOperationException($"wrk failed (exit {run.ExitCode}) with {scriptPath}:{Environment.NewLine}{run.Output}");
        }

        return Parse(resultLine[WrkScript.ResultMarker.Length..]);
    }

    private static WrkResult Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var statuses = root.GetProperty("statuses").EnumerateObject()
            .ToDictionary(status => int.Parse(status.Name, CultureInfo.InvariantCulture), status => status.Value.GetInt64());
        return new WrkResult(
            Requests: root.GetProperty("requests").GetInt64(),
            Duration: TimeSpan.FromMicroseconds(root.GetProperty("duration_us").GetInt64()),
            P50Milliseconds: root.GetProperty("p50_us").GetDouble() / 1000,
            P99Milliseconds: root.GetProperty("p99_us").GetDouble() / 1000,
            Statuses: statuses,
            SocketErrors: root.GetProperty("socket_errors").GetInt64(),
            BulkAccepted: root.GetProperty("bulk_accepted").GetInt64(),
            BulkDuplicates: root.GetProperty("bulk_duplicates").GetInt64(),
            BulkRejected: root.GetProperty("bulk_rejected").GetInt64());
    }
}
