using System.Diagnostics;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>What a run of a program printed, and how it ended (<see cref="Killed"/> at its deadline, or not).</summary>
public sealed record ProcessRun(int ExitCode, string Output, string Errors, bool Killed = false)
{
    /// <summary>Both streams, for failure messages.</summary>
    public override string ToString() => $"exit code {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Errors}";
}

/// <summary>
/// The service's own executable (<c>dotnet EventStore.Api.dll</c>, from <see cref="ServiceBuild.Directory"/>) run to its
/// end, the way an operator runs it: configured by environment variables only. A run that has not ended by the deadline
/// is killed and fails the test.
/// </summary>
public static class ServiceProcess
{
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?> environment, IEnumerable<string> args)
    {
        var directory = ServiceBuild.Directory();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(directory, "EventStore.Api.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return start;
    }

    public static Task<ProcessRun> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunAsync(environment, Deadline, args);

    public static Task<ProcessRun> RunAsync(IReadOnlyDictionary<string, string?> environment, TimeSpan deadline, params string[] args) =>
        RunAsync(StartInfo(environment, args), deadline);

    /// <summary>Another program (e.g. <c>script</c>, to give the service a terminal) with the service's folder and <paramref name="environment"/>.</summary>
    public static Task<ProcessRun> RunWith(string program, IReadOnlyDictionary<string, string?> environment, TimeSpan deadline, params string[] args)
    {
        var start = StartInfo(environment, args);
        start.FileName = program;
        start.ArgumentList.RemoveAt(0);
        return RunAsync(start, deadline);
    }

    private static async Task<ProcessRun> RunAsync(ProcessStartInfo start, TimeSpan deadline)
    {
        var run = await RunToEndAsync(start, deadline);
        return run.Killed
            ? throw new TimeoutException($"`{string.Join(' ', start.ArgumentList)}` was still running after {deadline.TotalSeconds:0} s (killed):{Environment.NewLine}{run}")
            : run;
    }

    /// <summary>Runs <paramref name="start"/> (with both streams redirected) to its end, or kills it, with all it started, at the deadline.</summary>
    public static async Task<ProcessRun> RunToEndAsync(ProcessStartInfo start, TimeSpan deadline)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            return new ProcessRun(process.ExitCode, await output, await errors, Killed: true);
        }

        return new ProcessRun(process.ExitCode, await output, await errors);
    }
}
