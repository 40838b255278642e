using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;

namespace EventStore.Api.Tests.Reliability;

/// <summary>One event's identity as Intercom de-duplicates it: user, (already normalized) name and created_at.</summary>
public sealed record TrackedKey(string UserId, string Name, long CreatedAt)
{
    public static TrackedKey Of(EventTracked tracked) => new(tracked.UserId ?? "", tracked.Name, tracked.CreatedAt);

    public string Json => JsonSerializer.Serialize(Scenarios.Event(name: Name, userId: UserId, createdAt: CreatedAt));

    public override string ToString() => $"{UserId}/{Name}@{CreatedAt}";
}

/// <summary>What one POST /events got: a status (null when the connection failed), headers, body, how long it took.</summary>
public sealed record Sent(TrackedKey Key, HttpStatusCode? Status, string Body, IReadOnlyDictionary<string, string> Headers, TimeSpan Elapsed, long StartedAt, long EndedAt, string? Failure)
{
    public bool Acknowledged => Status == HttpStatusCode.Accepted;

    public override string ToString() => $"{Key} -> {(Status is null ? Failure : $"{(int)Status} {Body}")} after {Elapsed.TotalSeconds:0.0}s";
}

/// <summary>Clients posting events over HTTP, and the comparison of what they were told with what the store holds.</summary>
public static class ReliabilityScenarios
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    /// <summary>A monotonic timestamp comparable with <see cref="Sent.StartedAt"/> and <see cref="Sent.EndedAt"/>.</summary>
    public static long Timestamp() => Clock.ElapsedTicks;

    /// <summary>POSTs one event the way an Intercom client does; a failed connection is recorded, not thrown.</summary>
    public static async Task<Sent> PostAsync(this HttpClient client, TrackedKey key, string token = ApiFixture.AcmeToken, CancellationToken cancellation = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent(key.Json, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        request.Headers.TryAddWithoutValidation("Intercom-Version", "2.14");
        var started = Timestamp();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await client.SendAsync(request, cancellation);
            var body = await response.Content.ReadAsStringAsync(cancellation);
            var headers = response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            return new Sent(key, response.StatusCode, body, headers, stopwatch.Elapsed, started, Timestamp(), null);
        }
        // A killed server also surfaces as a bare SocketException (ENOTCONN) when the socket is shut down under the read.
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException || (e is TaskCanceledException && !cancellation.IsCancellationRequested))
        {
            return new Sent(key, null, "", new Dictionary<string, string>(), stopwatch.Elapsed, started, Timestamp(), $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Every acknowledged event is stored exactly once, and nothing is stored twice or stored that was never sent.
    /// Returns the problems found, one line each, so a failure names the events concerned.
    /// </summary>
    public static IReadOnlyList<string> CompareWithStore(IEnumerable<TrackedKey> acknowledged, IEnumerable<TrackedKey> sent, IReadOnlyList<TrackedKey> stored)
    {
        var counts = stored.GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        var sentSet = sent.ToHashSet();
        var problems = new List<string>();
        problems.AddRange(acknowledged.Distinct().Where(k => !counts.ContainsKey(k)).Select(k => $"acknowledged with 202 but not stored: {k}"));
        problems.AddRange(counts.Where(c => c.Value > 1).Select(c => $"stored {c.Value} times: {c.Key}"));
        problems.AddRange(counts.Keys.Where(k => !sentSet.Contains(k)).Select(k => $"stored but never sent: {k}"));
        return problems;
    }

    /// <summary>The problems, at most 20 of them, for a failure message.</summary>
    public static string Describe(IReadOnlyCollection<string> problems) =>
        $"{problems.Count} problem(s):{Environment.NewLine}{string.Join(Environment.NewLine, problems.Take(20))}";
}
