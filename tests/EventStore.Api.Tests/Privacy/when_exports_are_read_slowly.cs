using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;
using Npgsql;

namespace EventStore.Api.Tests.Privacy;

/// <summary>
/// acme exports a large user (about 8 MB) over more sockets than the connection pool has connections (12 readers,
/// a pool of 10), each reading 1 KiB a second (above Kestrel's minimum data rate, so Kestrel does not cut them off).
/// While they crawl, globex reads and writes, a further acme export is asked for, and readiness is probed; then the
/// readers speed up and read to the end. Played once, by whichever test asks first.
/// </summary>
public sealed class SlowExportReaders(PostgresServer postgres) : TwoTenantScenario<SlowExportRun>
{
    public const int Readers = 12;
    public const int PoolSize = 10;
    public const int Events = 3000;
    protected override async Task<SlowExportRun> PlayAsync()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync(nameof(SlowExportReaders))) { MaxPoolSize = PoolSize }.ConnectionString;
        var api = Api = await TwoTenantService.StartAsync(connectionString, new Dictionary<string, string>
        {
            // As many exports at once as there are readers: the limit under test here is the pool, not this one.
            ["Privacy__Export__MaxConcurrentPerWorkspace"] = Readers.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = api.Client();
        // events:read too, so that the release before this one (which asked for events:read) would export as well.
        var exporter = await client.CreateTokenAsync("acme", "users:erase", "events:read");
        var metadata = Enumerable.Range(0, 10).ToDictionary(k => $"field_{k}", k => new string((char)('a' + k), 250));
        for (var batch = 0; batch < Events / 1000; batch++)
        {
            await client.BulkAsync(ApiFixture.AcmeToken, Enumerable.Range(batch * 1000, 1000)
                .Select(i => Scenarios.Event(name: "exported", userId: "big-export", createdAt: 1_600_000_000 + i, metadata: metadata)));
        }

        await client.BulkAsync(ApiFixture.GlobexToken, [Scenarios.Event(name: "unbothered", userId: "globex-user", createdAt: 1_700_000_000)]);

        using var resume = new CancellationTokenSource();
        var readers = new List<SlowReader>();
        try
        {
            for (var i = 0; i < Readers; i++)
            {
                readers.Add(await SlowReader.StartAsync(api.Address, "/users/export?user_id=big-export", exporter, resume.Token));
            }

            // Meanwhile: another workspace, one more export of this one, and readiness.
            var meanwhile = new List<(string What, HttpStatusCode? Status, string Body)>();
            async Task Record(string what, HttpMethod method, string url, string token, HttpContent? content = null)
            {
                var (status, body) = await client.SendAsync(method, url, token, content, TestContext.Current.CancellationToken);
                meanwhile.Add((what, status, body));
            }

            await Record("globex GET /events", HttpMethod.Get, "/events?type=user&user_id=globex-user", ApiFixture.GlobexToken);
            await Record("globex GET /segments", HttpMethod.Get, "/segments", ApiFixture.GlobexToken);
            await Record("globex POST /events", HttpMethod.Post, "/events", ApiFixture.GlobexToken,
                TwoTenantService.Json(JsonSerializer.Serialize(Scenarios.Event(name: "unbothered", userId: "globex-user", createdAt: 1_700_000_001))));
            await Record("acme export beyond the limit", HttpMethod.Get, "/users/export?user_id=big-export", exporter);
            await Record("GET /health/ready", HttpMethod.Get, "/health/ready", ApiFixture.GlobexToken);
            var stillReading = readers.Count(r => !r.Finished);

            await resume.CancelAsync();
            var bodies = await Task.WhenAll(readers.Select(r => r.RestAsync(TwoTenantService.Deadline)));
            return new SlowExportRun(meanwhile, stillReading, [.. readers.Select(r => r.Status)], bodies);
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }
    }
}

public sealed record SlowExportRun(IReadOnlyList<(string What, HttpStatusCode? Status, string Body)> Meanwhile, int StillReading,
    IReadOnlyList<HttpStatusCode> ReaderStatuses, IReadOnlyList<string> Bodies)
{
    public (string What, HttpStatusCode? Status, string Body) Answer(string what) => Meanwhile.Single(m => m.What == what);
}

/// <summary>A client that reads a response 1 KiB a second (its socket's receive buffer is small, so the server feels it) until told to read on at full speed.</summary>
public sealed class SlowReader : IDisposable
{
    private readonly HttpClient client;
    private readonly HttpResponseMessage response;
    private readonly Task<string> body;

    private SlowReader(HttpClient client, HttpResponseMessage response, Task<string> body)
    {
        this.client = client;
        this.response = response;
        this.body = body;
    }

    public HttpStatusCode Status => response.StatusCode;

    public bool Finished => body.IsCompleted;

    public static async Task<SlowReader> StartAsync(Uri address, string url, string token, CancellationToken resume)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        return new SlowReader(client, response, ReadAsync(stream, resume));
    }

    /// <summary>The whole body, once the reader has been told to read on; fails when it is not complete within the deadline.</summary>
    public async Task<string> RestAsync(TimeSpan deadline) => await body.WaitAsync(deadline, TestContext.Current.CancellationToken);

    private static async Task<string> ReadAsync(Stream stream, CancellationToken resume)
    {
        using var received = new MemoryStream();
        var chunk = new byte[1024];
        while (!resume.IsCancellationRequested)
        {
            var read = await stream.ReadAsync(chunk, TestContext.Current.CancellationToken);
            if (read == 0)
            {
                return System.Text.Encoding.UTF8.GetString(received.ToArray());
            }

            received.Write(chunk, 0, read);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), resume);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await stream.CopyToAsync(received, TestContext.Current.CancellationToken);
        return System.Text.Encoding.UTF8.GetString(received.ToArray());
    }

    public void Dispose()
    {
        response.Dispose();
        client.Dispose();
    }
}

/// <summary>
/// A slow reader of an export holds a socket, never a database connection: while one workspace's exports crawl,
/// another workspace is served as usual, and readiness stays true.
/// </summary>
public sealed class when_exports_are_read_slowly(SlowExportReaders scenario) : IClassFixture<SlowExportReaders>
{
    [Fact]
    public async Task starts_every_export()
    {
        var run = await scenario.Play();

        run.ReaderStatuses.ShouldAllBe(status => status == HttpStatusCode.OK, string.Join(", ", run.ReaderStatuses) + Environment.NewLine +
            string.Join(Environment.NewLine, run.Bodies.Where(b => b.Length < 2000)));
    }

    [Theory]
    [InlineData("globex GET /events", HttpStatusCode.OK)]
    [InlineData("globex GET /segments", HttpStatusCode.OK)]
    [InlineData("globex POST /events", HttpStatusCode.Accepted)]
    [InlineData("GET /health/ready", HttpStatusCode.OK)]
    public async Task serves_another_workspace_as_usual_meanwhile(string what, HttpStatusCode expected)
    {
        var run = await scenario.Play();

        run.StillReading.ShouldBe(run.ReaderStatuses.Count(s => s == HttpStatusCode.OK), "every export started was still being read when the other requests were made");
        var (_, status, body) = run.Answer(what);
        status.ShouldBe(expected, $"{what}: {body}");
    }

    [Fact]
    public async Task refuses_one_more_export_of_the_same_workspace_with_429()
    {
        var run = await scenario.Play();

        var (what, status, body) = run.Answer("acme export beyond the limit");
        status.ShouldBe(HttpStatusCode.TooManyRequests, $"{what}: {body}");
        JsonNode.Parse(body)!["errors"]![0]!["code"]!.GetValue<string>().ShouldBe("rate_limit_exceeded", body);
    }

    [Fact]
    public async Task sends_each_slow_reader_the_whole_export()
    {
        var run = await scenario.Play();

        run.ReaderStatuses.ShouldAllBe(status => status == HttpStatusCode.OK);
        foreach (var body in run.Bodies)
        {
            var events = JsonNode.Parse(body)!["events"]!.AsArray();
            events.Count.ShouldBe(SlowExportReaders.Events);
            events.Select(e => e!["created_at"]!.GetValue<long>()).ShouldBe(Enumerable.Range(0, SlowExportReaders.Events).Select(i => 1_600_000_000L + i));
        }
    }
}
