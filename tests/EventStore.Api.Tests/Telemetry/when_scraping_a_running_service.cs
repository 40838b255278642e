using System.Net;
using System.Text;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Telemetry;

/// <summary>
/// The service as an operator runs it (its own process, Production, Kestrel on a free port), alone in its process:
/// unlike the in-process test hosts, nothing else records on its meters, so every figure is exact.
/// </summary>
public sealed class RunningService(PostgresServer postgres) : IAsyncLifetime
{
    public ApiProcess Process { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Process = ApiProcess.Start(await postgres.CreateDatabaseAsync(nameof(RunningService)));
        await Process.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }
    }
}

public sealed class when_scraping_a_running_service(RunningService service) : IClassFixture<RunningService>
{
    private async Task<HttpStatusCode> Post(HttpClient client, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {ApiFixture.AcmeToken}");
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task serves_the_frameworks_and_our_metrics_in_prometheus_text_format_without_a_token()
    {
        using var client = service.Process.Client();
        const string body = """{"event_name":"scraped","created_at":1700000000,"user_id":"scraper"}""";
        (await Post(client, body)).ShouldBe(HttpStatusCode.Accepted);
        (await Post(client, body)).ShouldBe(HttpStatusCode.Accepted, "a duplicate");

        // ASP.NET Core records a request's duration once its response is sent: wait for it.
        var scrape = await Scrape.Until(client, s => s.Value("http_server_request_duration_seconds_count", ("http_route", "/events")) >= 2);

        scrape.Status.ShouldBe(HttpStatusCode.OK, service.Process.OutputTail);
        scrape.ContentType.ShouldNotBeNull().ShouldStartWith("text/plain");
        scrape.Value("eventstore_events_accepted_total", ("workspace", "acme")).ShouldBe(1, scrape.Body);
        scrape.Value("eventstore_events_duplicates_total", ("workspace", "acme")).ShouldBe(1);
        scrape.Value("eventstore_append_duration_seconds_count", ("workspace", "acme"), ("outcome", "committed")).ShouldBe(2, "two requests, one after the other: two group commits");
        scrape.Value("http_server_request_duration_seconds_count", ("http_route", "/events"), ("http_request_method", "POST"), ("http_response_status_code", "202"))
            .ShouldBe(2, "ASP.NET Core's request duration, by route, method and status");
        scrape.HasFamily("db_client_operation_duration_seconds", "histogram").ShouldBeTrue("Npgsql's command duration");
        scrape.Samples.ShouldContain(s => s.Name.StartsWith("wolverine_", StringComparison.Ordinal), "Wolverine's meter");
        scrape.Samples.ShouldContain(s => s.Name.StartsWith("dotnet_gc_", StringComparison.Ordinal), "the runtime's metrics");
        scrape.Samples.ShouldContain(s => s.Name == "target_info" && s.Labels.GetValueOrDefault("service_name") == "eventstore");
        scrape.Headers.Keys.ShouldContain("X-Request-Id", "the scrape goes through the request pipeline like any request");
    }
}
