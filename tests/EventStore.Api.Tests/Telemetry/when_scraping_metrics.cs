using System.Globalization;
using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Telemetry;

/// <summary>GET /metrics through the real pipeline: Prometheus' text format, our counters, the framework's metrics.</summary>
public sealed class when_scraping_metrics(MetricsService api) : IClassFixture<MetricsService>
{
    private const string Accepted = "eventstore_events_accepted_total";
    private const string Duplicates = "eventstore_events_duplicates_total";
    private const string Rejected = "eventstore_events_rejected_total";
    private const string AppendCount = "eventstore_append_duration_seconds_count";

    private Task<Response> Post(string workspace, object body) => api.Host.PostEvent(body, MetricsService.TokenOf(workspace));

    private Task<Response> PostBulk(string workspace, string body, string query = "") =>
        api.Host.Send(HttpMethod.Post, "/events/bulk" + query, body, MetricsService.TokenOf(workspace));

    private static string Item(string user, long createdAt, string name = "viewed") =>
        JsonSerializer.Serialize(Scenarios.Event(name, createdAt, user));

    private static Dictionary<string, double> Counts(Scrape scrape, string workspace) => new()
    {
        ["accepted"] = scrape.Value(Accepted, ("workspace", workspace)),
        ["duplicates"] = scrape.Value(Duplicates, ("workspace", workspace)),
        ["parameter_invalid"] = scrape.Value(Rejected, ("workspace", workspace), ("reason", "parameter_invalid")),
        ["parameter_not_found"] = scrape.Value(Rejected, ("workspace", workspace), ("reason", "parameter_not_found")),
        ["unsupported_media_type"] = scrape.Value(Rejected, ("workspace", workspace), ("reason", "unsupported_media_type")),
        ["not_stored"] = scrape.Value(Rejected, ("workspace", workspace), ("reason", "not_stored")),
        ["rate_limit_exceeded"] = scrape.Value(Rejected, ("workspace", workspace), ("reason", "rate_limit_exceeded")),
        ["rejected"] = scrape.Value(Rejected, ("workspace", workspace)),
        ["commits"] = scrape.Value(AppendCount, ("workspace", workspace), ("outcome", "committed")),
    };

    private static Dictionary<string, double> Delta(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.ToDictionary(p => p.Key, p => p.Value - before[p.Key]);

    /// <summary>Scrapes until the workspace's counts moved by <paramref name="expected"/> (unnamed counts must not move).</summary>
    private async Task<Dictionary<string, double>> DeltaAfter(Dictionary<string, double> before, string workspace, Dictionary<string, double> expected)
    {
        bool Matches(Dictionary<string, double> delta) => delta.All(p => p.Value == expected.GetValueOrDefault(p.Key));
        var scrape = await Scrape.Until(api.Host, s => Matches(Delta(before, Counts(s, workspace))));
        return Delta(before, Counts(scrape, workspace));
    }

    [Fact]
    public async Task answers_without_a_token_in_prometheus_text_format_with_the_append_histogram()
    {
        (await Post("telemetry-4", Scenarios.Event("probed", 1_700_000_000, "t4"))).Status.ShouldBe(HttpStatusCode.Accepted);

        var scrape = await Scrape.Until(api.Host, s => s.Value(AppendCount, ("workspace", "telemetry-4")) >= 1);

        scrape.Status.ShouldBe(HttpStatusCode.OK, scrape.Body);
        scrape.ContentType.ShouldNotBeNull().ShouldStartWith("text/plain");
        scrape.HasFamily(Accepted, "counter").ShouldBeTrue(scrape.Body);
        scrape.HasFamily("eventstore_append_duration_seconds", "histogram").ShouldBeTrue(scrape.Body);
        scrape.Value(AppendCount, ("workspace", "telemetry-4"), ("outcome", "committed")).ShouldBe(1, "one request, one group commit");
        scrape.Value("eventstore_append_duration_seconds_bucket", ("workspace", "telemetry-4"), ("le", "+Inf")).ShouldBe(1);
        scrape.Value("eventstore_append_duration_seconds_sum", ("workspace", "telemetry-4")).ShouldBeGreaterThan(0);
        scrape.Samples.ShouldContain(s => s.Name == "target_info" && s.Labels.GetValueOrDefault("service_name") == "eventstore", "the resource names the service");
        // ASP.NET Core's, Npgsql's and Wolverine's metrics are checked on a service process of its own
        // (when_scraping_a_running_service): in this process many test hosts share those meters' names.
    }

    [Fact]
    public async Task counts_accepted_duplicate_and_rejected_events()
    {
        const string workspace = "telemetry-1";
        var before = Counts(await Scrape.Take(api.Host), workspace);

        (await Post(workspace, Scenarios.Event("signed-up", 1_700_000_000, "t1"))).Status.ShouldBe(HttpStatusCode.Accepted);
        (await Post(workspace, Scenarios.Event("signed-up", 1_700_000_000, "t1"))).Status.ShouldBe(HttpStatusCode.Accepted, "a duplicate");
        (await Post(workspace, Scenarios.Event("signed-up", 1_700_000_000_000, "t1"))).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "created_at");
        (await api.Host.Send(HttpMethod.Post, "/events", "created_at=1", MetricsService.TokenOf(workspace), contentType: "text/plain"))
            .ShouldBeError(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        // Bulk: a new event, a duplicate of the first and an item without created_at.
        (await PostBulk(workspace, $$"""[{{Item("t1", 1_700_000_001)}},{{Item("t1", 1_700_000_000, "signed-up")}},{"event_name":"x","user_id":"t1"}]"""))
            .Status.ShouldBe(HttpStatusCode.OK);
        // Atomic bulk with a refused item: the valid one is not stored.
        (await PostBulk(workspace, $$"""[{{Item("t1", 1_700_000_002)}},{"event_name":"x","user_id":"t1"}]""", "?atomic=true"))
            .Status.ShouldBe(HttpStatusCode.OK);

        var delta = await DeltaAfter(before, workspace, new()
        {
            ["accepted"] = 2,
            ["duplicates"] = 2,
            ["parameter_invalid"] = 1,
            ["parameter_not_found"] = 2,
            ["unsupported_media_type"] = 1,
            ["not_stored"] = 1,
            ["rejected"] = 5,
            ["commits"] = 3,
        });

        delta["accepted"].ShouldBe(2, "the first single event and the bulk's new one");
        delta["duplicates"].ShouldBe(2, "the single repeat and the bulk's repeat");
        delta["parameter_invalid"].ShouldBe(1, "created_at in milliseconds");
        delta["parameter_not_found"].ShouldBe(2, "one item of each bulk request");
        delta["unsupported_media_type"].ShouldBe(1);
        delta["not_stored"].ShouldBe(1, "the valid item of the refused atomic request");
        delta["rejected"].ShouldBe(5, "no other reason counted");
        delta["rate_limit_exceeded"].ShouldBe(0);
        delta["commits"].ShouldBe(3, "two single requests and one bulk reached the committer, one transaction each (the refused atomic one never did)");
    }

    [Fact]
    public async Task counts_events_refused_for_an_unknown_intercom_version()
    {
        const string workspace = "telemetry-5";
        var before = Counts(await Scrape.Take(api.Host), workspace);
        var version = new Dictionary<string, string> { ["Intercom-Version"] = "9.9" };

        (await api.Host.Send(HttpMethod.Post, "/events", JsonSerializer.Serialize(Scenarios.Event("versioned", 1_700_000_000, "t5")), MetricsService.TokenOf(workspace), headers: version))
            .ShouldBeError(HttpStatusCode.BadRequest, "intercom_version_invalid");
        (await api.Host.Send(HttpMethod.Get, "/segments", null, MetricsService.TokenOf(workspace), headers: version))
            .ShouldBeError(HttpStatusCode.BadRequest, "intercom_version_invalid");

        var scrape = await Scrape.Until(api.Host, s => s.Value(Rejected, ("workspace", workspace), ("reason", "intercom_version_invalid")) >= 1);

        scrape.Value(Rejected, ("workspace", workspace), ("reason", "intercom_version_invalid")).ShouldBe(1, "the refused event; not the refused GET /segments");
        Delta(before, Counts(scrape, workspace))["accepted"].ShouldBe(0);
    }

    [Fact]
    public async Task counts_events_refused_by_the_rate_limit()
    {
        const string workspace = "telemetry-2";
        var before = Counts(await Scrape.Take(api.Host), workspace);
        string Items(int count, long from) => "[" + string.Join(",", Enumerable.Range(0, count).Select(i => Item("t2", from + i))) + "]";

        // More events than the window allows: all refused (the request itself took one unit).
        (await PostBulk(workspace, Items(MetricsService.Limit + 2, 1_700_000_000))).ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        // Exactly what remains: accepted.
        (await PostBulk(workspace, Items(MetricsService.Limit - 1, 1_700_100_000))).Status.ShouldBe(HttpStatusCode.OK);
        (await Post(workspace, Scenarios.Event("late", 1_700_000_000, "t2"))).ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        (await api.Host.Send(HttpMethod.Get, "/segments", token: MetricsService.TokenOf(workspace))).Status.ShouldBe(HttpStatusCode.TooManyRequests);

        var delta = await DeltaAfter(before, workspace, new()
        {
            ["accepted"] = MetricsService.Limit - 1,
            ["rate_limit_exceeded"] = MetricsService.Limit + 2 + 1,
            ["rejected"] = MetricsService.Limit + 2 + 1,
            ["commits"] = 1,
        });

        delta["rate_limit_exceeded"].ShouldBe(MetricsService.Limit + 2 + 1, "each event of the refused bulk request, then the refused single event; not the refused GET /segments");
        delta["accepted"].ShouldBe(MetricsService.Limit - 1);
        delta["rejected"].ShouldBe(MetricsService.Limit + 2 + 1);
    }

    [Fact]
    public async Task is_not_rate_limited_nor_counted_against_a_workspace()
    {
        const string workspace = "telemetry-3";
        for (var i = 0; i < MetricsService.Limit + 5; i++)
        {
            var scrape = await Scrape.Take(api.Host, MetricsService.TokenOf(workspace));
            scrape.Status.ShouldBe(HttpStatusCode.OK, $"scrape {i + 1} with a workspace token");
            scrape.Headers.Keys.ShouldNotContain("X-RateLimit-Remaining");
        }

        var posted = await Post(workspace, Scenarios.Event("after-scrapes", 1_700_000_000, "t3"));

        posted.Status.ShouldBe(HttpStatusCode.Accepted);
        posted.Headers["X-RateLimit-Remaining"].ShouldBe((MetricsService.Limit - 1).ToString(CultureInfo.InvariantCulture), "the scrapes took nothing from the workspace's budget");
    }
}
