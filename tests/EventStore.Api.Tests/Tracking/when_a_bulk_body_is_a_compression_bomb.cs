using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Tracking;

/// <summary>The service as its own process, so that its memory can be read from <c>/proc</c>; started by the first test.</summary>
public sealed class BombedService(PostgresServer postgres) : TwoTenantScenario<ApiProcess>
{
    protected override async Task<ApiProcess> PlayAsync() =>
        Api = await TwoTenantService.StartAsync(await postgres.CreateDatabaseAsync(nameof(BombedService)));
}

/// <summary>
/// A few kilobytes of gzip that decompress to 5 MiB of tiny items (<c>{}</c> lines, or <c>[1,1,…]</c>): the service
/// counts items as it decompresses and stops at the first one beyond <c>Tracking:Bulk:MaxEvents</c>, so the bomb
/// costs it next to nothing. Measured as the process's peak resident memory (VmHWM, reset before the bombs) against
/// its resident memory before them, while four clients send 24 bombs.
/// </summary>
public sealed class when_a_bulk_body_is_a_compression_bomb(BombedService service) : IClassFixture<BombedService>
{
    private const int Clients = 4;
    private const int BombsPerClient = 6;
    private const long AllowedGrowth = 100L * 1024 * 1024;
    private const int DecompressedBytes = 5 * 1024 * 1024;

    public static TheoryData<string> Bombs => ["ndjson", "json array"];

    private static byte[] Gzip(byte[] bytes)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize))
        {
            gzip.Write(bytes);
        }

        return compressed.ToArray();
    }

    private static (byte[] Body, string MediaType) Bomb(string kind) => kind == "ndjson"
        ? (Gzip(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{}\n", DecompressedBytes / 3)))), "application/x-ndjson")
        : (Gzip(Encoding.ASCII.GetBytes("[" + string.Join(',', Enumerable.Repeat("1", DecompressedBytes / 2 - 1)) + "]")), "application/json");

    private static async Task<(HttpStatusCode? Status, string Body)> SendAsync(HttpClient client, byte[] body, string mediaType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        content.Headers.ContentEncoding.Add("gzip");
        return await client.SendAsync(HttpMethod.Post, "/events/bulk", ApiFixture.AcmeToken, content, TestContext.Current.CancellationToken);
    }

    /// <summary>A figure of <c>/proc/{pid}/status</c>, in bytes.</summary>
    private static long Memory(ApiProcess api, string field)
    {
        var line = File.ReadLines($"/proc/{api.Id}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    [Theory]
    [MemberData(nameof(Bombs))]
    public async Task refuses_each_bomb_without_growing_its_memory_by_100_mb(string kind)
    {
        var (bomb, mediaType) = Bomb(kind);
        bomb.Length.ShouldBeLessThan(64 * 1024, "a small request");
        var api = await service.Play();
        using var client = api.Client();
        // Warmed up with an ordinary compressed bulk request, so that what is measured is the bombs.
        var (body, _) = (Gzip(Encoding.ASCII.GetBytes("""{"event_name":"warm-up","created_at":1700000000,"user_id":"bomb-warm-up"}""" + "\n")), "application/x-ndjson");
        (await SendAsync(client, body, "application/x-ndjson")).Status.ShouldBe(HttpStatusCode.OK);
        var before = Memory(api, "VmRSS");
        await File.WriteAllTextAsync($"/proc/{api.Id}/clear_refs", "5", TestContext.Current.CancellationToken); // resets VmHWM to VmRSS

        var answers = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            var mine = new List<(HttpStatusCode? Status, string Body)>();
            for (var i = 0; i < BombsPerClient; i++)
            {
                mine.Add(await SendAsync(client, bomb, mediaType));
            }

            return mine;
        })));

        var peak = Memory(api, "VmHWM");
        foreach (var (status, text) in answers.SelectMany(a => a))
        {
            status.ShouldBe(HttpStatusCode.BadRequest, text);
            text.ShouldContain("At most 1000 events per request");
        }

        (peak - before).ShouldBeLessThan(AllowedGrowth,
            $"resident memory grew from {before / 1048576} MiB to a peak of {peak / 1048576} MiB for {Clients * BombsPerClient} bombs of {bomb.Length} bytes");
    }
}
