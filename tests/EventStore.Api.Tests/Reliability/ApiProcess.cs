using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// The service as a real, separate process (<c>dotnet EventStore.Api.dll</c>), in Production, on a free port, so a
/// test can SIGKILL it the way an OOM killer or a crashing node would. It runs from the service's own build output
/// (<see cref="ServiceBuild.Directory"/>).
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private const int MaxStandardOutputLines = 10_000;

    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly List<string> errorLines = [];
    private readonly List<string> standardOutput = [];
    private readonly List<string> lines = [];

    private ApiProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Every line the process logged at Error or Critical (JSON console lines), or wrote as an unhandled exception.</summary>
    public IReadOnlyList<string> ErrorLines
    {
        get
        {
            lock (output)
            {
                return [.. errorLines];
            }
        }
    }

    /// <summary>Every line the process wrote to standard output so far (the first 10,000).</summary>
    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (output)
            {
                return [.. standardOutput];
            }
        }
    }

    /// <summary>Every line the process wrote (console logs: JSON lines in Production), in order.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (output)
            {
                return [.. lines];
            }
        }
    }

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string OutputTail
    {
        get
        {
            lock (output)
            {
                return output.Length <= 4000 ? output.ToString() : output.ToString(output.Length - 4000, 4000);
            }
        }
    }

    /// <summary>
    /// Starts the service in Production on a free port, with workspace acme, rate limits off and logs at Warning;
    /// <paramref name="settings"/> (configuration keys, <c>:</c> or <c>__</c>) add to or override these, and a null
    /// value removes one (for example <c>Workspaces__0__Id</c>).
    /// </summary>
    public static ApiProcess Start(string connectionString, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var port = FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Workspaces__0__Id"] = "acme",
            ["Workspaces__0__AccessTokens__0"] = ApiFixture.AcmeToken,
            ["RateLimits__RequestsPerWindow"] = "0",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var start = ServiceProcess.StartInfo(environment, []);
        foreach (var (key, _) in environment.Where(setting => setting.Value is null))
        {
            start.Environment.Remove(key);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var api = new ApiProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, line) => api.Append(line.Data, standardOutput: true);
        process.ErrorDataReceived += (_, line) => api.Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return api;
    }

    /// <summary>The operating system's id of the process (for <c>/proc/{id}</c>).</summary>
    public int Id => process.Id;

    /// <summary>Waits for the process to end by itself and returns its exit code; fails when the deadline passes first.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan deadline)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new ShouldAssertException($"the API process was still running after {deadline.TotalSeconds:0}s; its output:{Environment.NewLine}{OutputTail}");
        }

        // Asynchronous output readers finish after the exit: let them drain.
        process.WaitForExit();
        return process.ExitCode;
    }

    public HttpClient Client() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Polls /health/ready until 200; fails with the process's output if it exits or the deadline passes.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan deadline)
    {
        using var client = Client();
        client.Timeout = TimeSpan.FromSeconds(5);
        await Waits.Until(
            async () =>
            {
                process.HasExited.ShouldBeFalse($"the API process exited with {(process.HasExited ? process.ExitCode : 0)}:{Environment.NewLine}{OutputTail}");
                try
                {
                    using var response = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            },
            deadline,
            $"the API process at {Address} to become ready; its output:{Environment.NewLine}{OutputTail}");
    }

    /// <summary>SIGTERM, as a service manager stops it, then waits (bounded) for the process to exit; returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(deadline);
        await process.WaitForExitAsync(timeout.Token);
        // The asynchronous readers may still be handing over the last lines: wait for the end of both streams.
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown hooks, no draining, no flushing; in-flight requests are cut off.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: false);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>SIGTERM, as an orchestrator stopping the node does: the service shuts down gracefully.</summary>
    public void Terminate() => kill(process.Id, 15).ShouldBe(0, "kill(SIGTERM) failed");

    /// <summary>Whether the service still accepts connections on its port.</summary>
    public async Task<bool> AcceptsConnectionsAsync()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(Address.Host, Address.Port, TestContext.Current.CancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line, bool standardOutput = false)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (IsError(line))
            {
                errorLines.Add(line);
            }

            if (standardOutput && this.standardOutput.Count < MaxStandardOutputLines)
            {
                this.standardOutput.Add(line);
            }

            lines.Add(line);
            output.AppendLine(line);
            if (output.Length > 64_000)
            {
                output.Remove(0, output.Length - 16_000);
            }
        }
    }

    private static bool IsError(string line)
    {
        if (line.StartsWith('{'))
        {
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(line);
                return json.RootElement.TryGetProperty("LogLevel", out var level) && level.GetString() is "Error" or "Critical";
            }
            catch (System.Text.Json.JsonException)
            {
                return false;
            }
        }

        return line.StartsWith("Unhandled exception", StringComparison.Ordinal);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static int FreePort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
