using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace EventStore.Benchmarks.Orchestration;

/// <summary>
/// One running API process on 127.0.0.1 and a free port, started as <c>dotnet EventStore.Api.dll</c>; its start-up
/// time is from process start to the first <c>GET /health/ready</c> answering 200. Everything it writes (warnings and
/// errors, at the harness's log level) is kept in a file under the temporary directory, named when the process stops
/// if it logged an error, so that a failed request in a run can be explained afterwards.
/// </summary>
internal sealed class ApiProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int OutputLinesKept = 40;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(3);

    private readonly Process _process;
    private readonly Queue<string> _lastOutputLines = new();
    private readonly StreamWriter _log;
    private int _errorLines;
    private bool _logClosed;

    private ApiProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        var logs = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "eventstore-benchmarks-logs")).FullName;
        LogPath = Path.Combine(logs, $"api-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{process.Id}.log");
        _log = new StreamWriter(LogPath) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>The file that keeps everything the process wrote.</summary>
    public string LogPath { get; }

    public TimeSpan StartupTime { get; private set; }

    public static async Task<ApiProcess> StartAsync(ApiDeployment deployment, string connectionString, CancellationToken cancellation)
    {
        var baseAddress = LoopbackPorts.NewBaseAddress();
        var stopwatch = Stopwatch.StartNew();
        var api = new ApiProcess(ChildProcesses.Start(deployment.StartInfo(connectionString, baseAddress)), baseAddress);
        try
        {
            await api.WaitUntilReadyAsync(cancellation);
            api.StartupTime = stopwatch.Elapsed;
            return api;
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    /// <summary>The operating system's id of the process (for its CPU counters in <c>/proc</c>).</summary>
    public int Id => _process.Id;

    /// <summary>Peak resident set size (VmHWM) of the process so far.</summary>
    public long? PeakResidentBytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            var kilobytes = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kilobytes is null ? null : long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public string RecentOutput()
    {
        lock (_lastOutputLines)
        {
            return string.Join(Environment.NewLine, _lastOutputLines);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A graceful stop first, so the API closes its connections the way it does in production.
            _ = Kill(_process.Id, SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine($"  API (pid {_process.Id}) ignored SIGTERM for 15 s; killing it.");
            }
        }

        ChildProcesses.Kill(_process);
        _process.Dispose();
        lock (_lastOutputLines)
        {
            _logClosed = true;
            _log.Dispose();
        }

        if (_errorLines > 0)
        {
            Console.WriteLine($"  API logged {_errorLines} error line(s); its output: {LogPath}");
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The API exited with code {_process.ExitCode} before it was ready:{Environment.NewLine}{RecentOutput()}");
            }

            try
            {
                using var response = await http.GetAsync("/health/ready", cancellation);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
            {
                // A slow first answer; ask again.
            }

            if (deadline.Elapsed > ReadyTimeout)
            {
                throw new TimeoutException($"The API was not ready within {ReadyTimeout}:{Environment.NewLine}{RecentOutput()}");
            }

            await Task.Delay(20, cancellation);
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastOutputLines)
        {
            // In Production the API logs JSON lines ("LogLevel":"Error"); elsewhere the simple console format ("fail:").
            _errorLines += IsError(line) ? 1 : 0;
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }

            _lastOutputLines.Enqueue(line);
            while (_lastOutputLines.Count > OutputLinesKept)
            {
                _lastOutputLines.Dequeue();
            }
        }
    }

    private static bool IsError(string line) =>
        line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || line.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal)
        || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
