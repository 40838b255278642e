using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>One event to seed a read scenario's store with.</summary>
internal sealed record SeedEvent(string UserId, string Name, long CreatedAt, string MetadataJson);

/// <summary>
/// Fills a store through the API: <c>POST /events/bulk</c> in requests of 1,000 events when it exists (fast),
/// otherwise <c>POST /events</c> one by one (slow, said so). Every event must be accepted.
/// </summary>
internal static class Seeder
{
    private const int EventsPerBulkRequest = 1_000;
    private const int BulkRequestsInParallel = 2;
    private const int SingleRequestsInParallel = 32;

    public static async Task<long> SeedAsync(
        Uri baseAddress, string token, IEnumerable<SeedEvent> events, long total, bool bulkAvailable, CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var stopwatch = Stopwatch.StartNew();
        long accepted = 0;
        long nextReport = total / 10;
        void Progress(long count)
        {
            var done = Interlocked.Add(ref accepted, count);
            if (done >= Interlocked.Read(ref nextReport))
            {
                Interlocked.Add(ref nextReport, total / 10);
                Console.WriteLine($"    seeded {done:N0} / {total:N0} ({done / stopwatch.Elapsed.TotalSeconds:N0} events/s)");
            }
        }

        var parallel = new ParallelOptions { CancellationToken = cancellation };
        if (bulkAvailable)
        {
            parallel.MaxDegreeOfParallelism = BulkRequestsInParallel;
            await Parallel.ForEachAsync(events.Chunk(EventsPerBulkRequest), parallel, async (chunk, token) => Progress(await PostBulkAsync(http, chunk, token)));
        }
        else
        {
            Console.WriteLine("    POST /events/bulk is not available: seeding one event per request, which is slow");
            parallel.MaxDegreeOfParallelism = SingleRequestsInParallel;
            await Parallel.ForEachAsync(events, parallel, async (seed, token) =>
            {
                await PostSingleAsync(http, seed, token);
                Progress(1);
            });
        }

        Console.WriteLine($"    seeded {accepted:N0} events in {stopwatch.Elapsed.TotalSeconds:0.0} s");
        return accepted;
    }

    private static async Task<long> PostBulkAsync(HttpClient http, SeedEvent[] chunk, CancellationToken cancellation)
    {
        var body = new StringBuilder("[");
        for (var i = 0; i < chunk.Length; i++)
        {
            body.Append(i == 0 ? string.Empty : ",").Append(ToJson(chunk[i]));
        }

        using var content = new StringContent(body.Append(']').ToString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/events/bulk", content, cancellation);
        var answer = await response.Content.ReadAsStringAsync(cancellation);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Seeding: POST /events/bulk answered {(int)response.StatusCode}: {Truncate(answer)}");
        }

        using var result = JsonDocument.Parse(answer);
        var accepted = result.RootElement.GetProperty("accepted").GetInt64();
        if (accepted != chunk.Length)
        {
            throw new InvalidOperationException($"Seeding: POST /events/bulk accepted {accepted} of {chunk.Length} events: {Truncate(answer)}");
        }

        return accepted;
    }

    private static async Task PostSingleAsync(HttpClient http, SeedEvent seed, CancellationToken cancellation)
    {
        using var content = new StringContent(ToJson(seed), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/events", content, cancellation);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            var answer = await response.Content.ReadAsStringAsync(cancellation);
            throw new InvalidOperationException($"Seeding: POST /events answered {(int)response.StatusCode}: {Truncate(answer)}");
        }
    }

    private static string ToJson(SeedEvent seed) =>
        $$"""{"event_name":{{JsonSerializer.Serialize(seed.Name)}},"created_at":{{seed.CreatedAt}},"user_id":{{JsonSerializer.Serialize(seed.UserId)}},"metadata":{{seed.MetadataJson}}}""";

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "...";
}
