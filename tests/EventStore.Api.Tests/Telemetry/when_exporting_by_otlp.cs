using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Telemetry;

/// <summary>
/// The service with <c>Telemetry:Otlp:Endpoint</c> pointing at a stand-in OTLP collector on the loopback
/// (http/protobuf, which is plain HTTP POSTs of protobuf bodies to /v1/traces and /v1/metrics), and short
/// export intervals so that a test does not wait a minute for the metrics.
/// </summary>
public sealed class ServiceExportingOtlp : ApiFixture, IAsyncLifetime
{
    private readonly HttpListener listener = new();
    private readonly int port = FreePort();

    public ServiceExportingOtlp(PostgresServer postgres) : base(postgres)
    {
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = Task.Run(ReceiveAsync);
    }

    /// <summary>What the collector received: the path posted to and the body.</summary>
    public ConcurrentQueue<(string Path, byte[] Body)> Received { get; } = new();

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Telemetry:Otlp:Endpoint"] = $"http://127.0.0.1:{port}",
        ["Telemetry:Otlp:Protocol"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "250",
    };

    /// <summary>Whether some export to <paramref name="path"/> contains every one of <paramref name="texts"/> (strings are plain UTF-8 in protobuf).</summary>
    public bool Got(string path, params string[] texts) =>
        Received.Any(r => r.Path == path && texts.All(t => r.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(t)) >= 0));

    public new async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        listener.Close();
    }

    private async Task ReceiveAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            Received.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
            // An empty protobuf message is a complete Export*ServiceResponse: nothing rejected.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

public sealed class when_exporting_by_otlp(ServiceExportingOtlp api) : IClassFixture<ServiceExportingOtlp>
{
    private async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"waited for {what}; the collector got: {string.Join(", ", api.Received.Select(r => $"{r.Path} ({r.Body.Length} bytes)"))}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task sends_traces_of_the_request_the_handler_and_the_database_to_the_collector()
    {
        (await api.Host.PostEvent(Scenarios.Event("exported", 1_700_000_000, "otlp-1"))).Status.ShouldBe(HttpStatusCode.Accepted);

        // Instrumentation scope names: ASP.NET Core's request, Wolverine's handler, Npgsql's commands; and the resource.
        await Eventually(() => api.Got("/v1/traces", "eventstore", "Microsoft.AspNetCore", "Wolverine", "Npgsql"), "a trace export with the request, handler and database spans");
    }

    [Fact]
    public async Task sends_our_metrics_to_the_collector()
    {
        (await api.Host.PostEvent(Scenarios.Event("exported", 1_700_000_000, "otlp-2"))).Status.ShouldBe(HttpStatusCode.Accepted);

        await Eventually(() => api.Got("/v1/metrics", "eventstore", "eventstore.events.accepted", "eventstore.append.duration"), "a metrics export with our instruments");
    }
}
