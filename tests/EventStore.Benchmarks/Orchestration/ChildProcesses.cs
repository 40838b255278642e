using System.Collections.Concurrent;
using System.Diagnostics;

namespace EventStore.Benchmarks.Orchestration;

/// <summary>
/// Every process the harness starts (API, wrk, the rebuild command), so that none outlives it: on a normal end,
/// on an exception and on Ctrl+C or SIGTERM they are killed with their children.
/// </summary>
internal static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    public static Process Start(ProcessStartInfo startInfo)
    {
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {startInfo.FileName}.");
        Running[process.Id] = process;
        return process;
    }

    public static void Forget(Process process) => Running.TryRemove(process.Id, out _);

    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Gone or no longer ours.
        }

        Forget(process);
    }

    public static void KillAll()
    {
        foreach (var process in Running.Values)
        {
            Kill(process);
        }
    }
}
