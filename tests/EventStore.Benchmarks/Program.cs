using System.Runtime.InteropServices;
using EventStore.Benchmarks;
using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;

var options = BenchmarkOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

if (!Wrk.IsInstalled())
{
    Console.Error.WriteLine($"wrk is not installed. Install it with:{Environment.NewLine}  {Wrk.InstallCommand}");
    return 3;
}

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C unwinds the run so the API, wrk and PostgreSQL are stopped; a second one ends it at once.
    e.Cancel = !interrupted.IsCancellationRequested;
    Console.WriteLine("Interrupted: stopping the API, wrk and PostgreSQL ...");
    interrupted.Cancel();
};
using var terminated = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
{
    signal.Cancel = true;
    interrupted.Cancel();
});
AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcesses.KillAll();

try
{
    return await BenchmarkRun.RunAsync(options, interrupted.Token);
}
catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
{
    Console.WriteLine("Interrupted; nothing was written.");
    return 130;
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or Npgsql.NpgsqlException)
{
    Console.Error.WriteLine($"Benchmark failed: {e}");
    return 1;
}
finally
{
    ChildProcesses.KillAll();
}
