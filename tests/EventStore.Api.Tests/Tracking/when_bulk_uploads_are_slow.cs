using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Tracking;

/// <summary>
/// acme opens four bulk uploads (as many as the service decides at once, <c>Tracking:Bulk:MaxConcurrentRequests</c>)
/// that declare 5,000,000 bytes and send 500 bytes every half second, then globex sends a one-event bulk request.
/// Each upload asks for <c>100 Continue</c>, which Kestrel sends when the service starts reading the body: so the
/// test sees how many uploads are being read. Played once, by whichever test asks first.
/// </summary>
public sealed class SlowBulkUploads(PostgresServer postgres) : TwoTenantScenario<SlowUploadRun>
{
    public const int Uploads = 4;
    public const int PerWorkspace = 2;
    protected override async Task<SlowUploadRun> PlayAsync()
    {
        var api = Api = await TwoTenantService.StartAsync(await postgres.CreateDatabaseAsync(nameof(SlowBulkUploads)), new Dictionary<string, string>
        {
            ["Tracking__Bulk__MaxConcurrentRequests"] = Uploads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tracking__Bulk__MaxConcurrentRequestsPerWorkspace"] = PerWorkspace.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tracking__Bulk__AdmissionTimeout"] = "00:00:03",
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var uploads = new List<SlowUpload>();
        try
        {
            for (var i = 0; i < Uploads; i++)
            {
                uploads.Add(await SlowUpload.StartAsync(api.Address, ApiFixture.AcmeToken, $"slow-{i}", stop.Token));
            }

            // Every upload has met its fate: its body is being read (100 Continue), or it was answered without being read.
            await Waits.Until(() => Task.FromResult(uploads.All(u => u.Continued || u.FinalStatus is not null)),
                TwoTenantService.Deadline, "every slow upload to be read or answered");
            var read = uploads.Count(u => u.Continued);
            var refused = uploads.Where(u => u.FinalStatus is not null).Select(u => (u.FinalStatus!.Value, u.Received)).ToList();

            using var client = api.Client();
            client.Timeout = TimeSpan.FromSeconds(20);
            var globex = await client.SendAsync(HttpMethod.Post, "/events/bulk", ApiFixture.GlobexToken,
                TwoTenantService.Json(JsonSerializer.Serialize(new[] { Scenarios.Event(name: "unbothered", userId: "globex-bulk", createdAt: 1_700_000_000) })),
                TestContext.Current.CancellationToken);
            var stillSending = uploads.Count(u => u.Continued && u.FinalStatus is null);
            return new SlowUploadRun(read, refused, stillSending, globex.Status, globex.Body);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var upload in uploads)
            {
                upload.Dispose();
            }
        }
    }
}

public sealed record SlowUploadRun(int Read, IReadOnlyList<(HttpStatusCode Status, string Response)> Refused, int StillSending, HttpStatusCode? GlobexStatus, string GlobexBody);

/// <summary>A bulk upload over a raw socket: headers with <c>Expect: 100-continue</c>, then NDJSON lines trickled after the 100.</summary>
public sealed class SlowUpload : IDisposable
{
    private readonly Socket socket;
    private readonly StringBuilder received = new();

    private SlowUpload(Socket socket) => this.socket = socket;

    public bool Continued { get; private set; }

    public HttpStatusCode? FinalStatus { get; private set; }

    public string Received
    {
        get
        {
            lock (received)
            {
                return received.ToString();
            }
        }
    }

    public static async Task<SlowUpload> StartAsync(Uri address, string token, string userId, CancellationToken stop)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(address.Host, address.Port, stop);
        var upload = new SlowUpload(socket);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"POST /events/bulk HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer {token}\r\nIntercom-Version: 2.14\r\n" +
            "Content-Type: application/x-ndjson\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n"), stop);
        _ = upload.ReceiveAsync(stop);
        _ = upload.TrickleAsync(userId, stop);
        return upload;
    }

    private async Task ReceiveAsync(CancellationToken stop)
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, stop)) > 0)
            {
                string text;
                lock (received)
                {
                    received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    text = received.ToString();
                }

                Continued |= text.StartsWith("HTTP/1.1 100", StringComparison.Ordinal);
                var final = text.Split("\r\n").FirstOrDefault(line => line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && !line.StartsWith("HTTP/1.1 100", StringComparison.Ordinal));
                if (final is not null)
                {
                    FinalStatus = (HttpStatusCode)int.Parse(final.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task TrickleAsync(string userId, CancellationToken stop)
    {
        var line = JsonSerializer.Serialize(Scenarios.Event(name: "trickled", userId: userId, createdAt: 1_700_000_000)) + "\n";
        var chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(line, 500 / line.Length + 1)))[..500];
        try
        {
            while (!Continued && FinalStatus is null)
            {
                await Task.Delay(50, stop);
            }

            while (FinalStatus is null)
            {
                await socket.SendAsync(chunk, stop);
                await Task.Delay(500, stop);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose() => socket.Dispose();
}

/// <summary>
/// A workspace's slow bulk uploads hold only that workspace's turns: its body is read before the service-wide turn
/// to parse and decide is taken, so another workspace's bulk request is answered as usual.
/// </summary>
public sealed class when_bulk_uploads_are_slow(SlowBulkUploads scenario) : IClassFixture<SlowBulkUploads>
{
    [Fact]
    public async Task answers_another_workspaces_bulk_request_meanwhile()
    {
        var run = await scenario.Play();

        run.StillSending.ShouldBe(run.Read, "every upload being read was still being sent when globex asked");
        run.GlobexStatus.ShouldBe(HttpStatusCode.OK, run.GlobexBody);
    }

    [Fact]
    public async Task reads_at_most_the_workspaces_limit_of_its_uploads_at_once()
    {
        var run = await scenario.Play();

        run.Read.ShouldBe(SlowBulkUploads.PerWorkspace, "Tracking:Bulk:MaxConcurrentRequestsPerWorkspace");
    }

    [Fact]
    public async Task answers_the_workspaces_other_uploads_429_after_the_admission_timeout()
    {
        var run = await scenario.Play();

        run.Refused.Count.ShouldBe(SlowBulkUploads.Uploads - SlowBulkUploads.PerWorkspace);
        foreach (var (status, response) in run.Refused)
        {
            status.ShouldBe(HttpStatusCode.TooManyRequests, response);
            response.ShouldContain("Retry-After: 1");
            response.ShouldContain("\"code\":\"rate_limit_exceeded\"");
        }
    }
}
