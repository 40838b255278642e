using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Alba;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Telemetry;

/// <summary>
/// Rate limits of 20 requests per window (10^9 seconds: no test straddles two windows), and workspaces of their
/// own for each test. Metrics are process-wide (other test classes run alongside in the same process), so every
/// assertion on our counters is made on the series of a workspace that only that test writes to.
/// </summary>
public sealed class MetricsService(PostgresServer postgres) : ApiFixture(postgres)
{
    public const int Limit = 20;
    public static readonly string[] Workspaces = ["telemetry-1", "telemetry-2", "telemetry-3", "telemetry-4"];

    public static string TokenOf(string workspace) => $"{workspace}-token-0123456789-0123456789-abc";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["RateLimits:RequestsPerWindow"] = Limit.ToString(CultureInfo.InvariantCulture),
        ["RateLimits:WindowSeconds"] = "1000000000",
    }.Concat(Workspaces.SelectMany((workspace, i) => new[]
    {
        KeyValuePair.Create($"Workspaces:{i + 2}:Id", workspace),
        KeyValuePair.Create($"Workspaces:{i + 2}:AccessTokens:0", TokenOf(workspace)),
    })).ToDictionary();
}

/// <summary>The service with <c>Telemetry:Prometheus:Enabled = false</c>.</summary>
public sealed class ServiceWithoutPrometheus(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Telemetry:Prometheus:Enabled"] = "false",
    };
}

/// <summary>One answer of the scrape endpoint, with its samples parsed from Prometheus' text format.</summary>
public sealed partial record Scrape(HttpStatusCode Status, string? ContentType, string Body, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>Every sample: metric name, labels, value (comments and blank lines skipped).</summary>
    public IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Labels, double Value)> Samples =>
        [.. Body.Split('\n').Where(line => line.Length > 0 && line[0] != '#').Select(ParseSample)];

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/> (0 when none).</summary>
    public double Value(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value);

    public bool HasFamily(string name, string type) => Body.Split('\n').Contains($"# TYPE {name} {type}");

    public static Task<Scrape> Take(IAlbaHost host, string? token = null, string path = "/metrics") =>
        Take(host.Server.CreateClient(), token, path);

    public static async Task<Scrape> Take(HttpClient client, string? token = null, string path = "/metrics")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new Scrape(response.StatusCode, response.Content.Headers.ContentType?.ToString(), body,
            response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Scrapes until <paramref name="done"/> holds (the exporter may answer from a cache of a few hundred
    /// milliseconds), at most 10 seconds; returns the last scrape either way, for the assertions to explain.
    /// </summary>
    public static Task<Scrape> Until(IAlbaHost host, Func<Scrape, bool> done) => Until(host.Server.CreateClient(), done);

    public static async Task<Scrape> Until(HttpClient client, Func<Scrape, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var scrape = await Take(client);
            if (done(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static (string, IReadOnlyDictionary<string, string>, double) ParseSample(string line)
    {
        var brace = line.IndexOf('{');
        var close = line.LastIndexOf('}');
        var name = brace < 0 ? line[..line.IndexOf(' ')] : line[..brace];
        var labels = brace < 0
            ? new Dictionary<string, string>()
            : Label().Matches(line[(brace + 1)..close]).ToDictionary(m => m.Groups[1].Value, m => Regex.Unescape(m.Groups[2].Value));
        var rest = (brace < 0 ? line[name.Length..] : line[(close + 1)..]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var value = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            var number => double.Parse(number, CultureInfo.InvariantCulture),
        };
        return (name, labels, value);
    }

    [GeneratedRegex("""([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?""")]
    private static partial Regex Label();
}
