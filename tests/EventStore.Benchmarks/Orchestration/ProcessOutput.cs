using System.Diagnostics;
using System.Text;

namespace EventStore.Benchmarks.Orchestration;

/// <summary>The exit code and interleaved output of a finished child process.</summary>
internal sealed record ProcessOutput(int ExitCode, string Output, string StandardError, TimeSpan Elapsed)
{
    /// <summary>Runs a tracked child to completion, or kills it on timeout or cancellation.</summary>
    public static async Task<ProcessOutput> RunAsync(ProcessStartInfo startInfo, TimeSpan timeout, CancellationToken cancellation)
    {
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.UseShellExecute = false;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        var process = ChildProcesses.Start(startInfo);
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            Append(output, e.Data);
            Append(errors, e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (startInfo.RedirectStandardInput)
        {
            process.StandardInput.Close();
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            process.WaitForExit(); // flushes the asynchronous output readers
        }
        catch (OperationCanceledException)
        {
            ChildProcesses.Kill(process);
            cancellation.ThrowIfCancellationRequested();
            throw new TimeoutException($"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)} did not finish within {timeout}.");
        }
        finally
        {
            ChildProcesses.Forget(process);
        }

        return new ProcessOutput(process.ExitCode, Read(output), Read(errors), stopwatch.Elapsed);
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            target.AppendLine(line);
        }
    }

    private static string Read(StringBuilder source)
    {
        lock (source)
        {
            return source.ToString();
        }
    }
}
