using System.Net;
using System.Text;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Telemetry;

/// <summary>
/// <c>Management:Urls</c> (README, "Configuration"): the scrape endpoint and the probes on an address of their own,
/// so that a load balancer publishes the API alone. The service as its own process, with both addresses.
/// </summary>
public sealed class ServiceWithManagementAddress(PostgresServer postgres) : IAsyncLifetime
{
    public ApiProcess Process { get; private set; } = null!;

    public Uri Management { get; } = new($"http://127.0.0.1:{ApiProcess.FreePort()}");

    public async ValueTask InitializeAsync()
    {
        Process = ApiProcess.Start(await postgres.CreateDatabaseAsync("management"), new Dictionary<string, string?>
        {
            ["Management:Urls"] = Management.ToString().TrimEnd('/'),
        });
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

public sealed class when_a_management_address_is_configured(ServiceWithManagementAddress service) : IClassFixture<ServiceWithManagementAddress>
{
    private HttpClient Api() => service.Process.Client();

    private HttpClient Management() => new() { BaseAddress = service.Management, Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<HttpStatusCode> Get(HttpClient client, string path, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task serves_the_metrics_on_the_management_address()
    {
        using var api = Api();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events")
        {
            Content = new StringContent("""{"event_name":"managed","created_at":1700000000,"user_id":"operator"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {ApiFixture.AcmeToken}");
        (await api.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        using var management = Management();

        var scrape = await Scrape.Until(management, s => s.Value("eventstore_events_accepted_total", ("workspace", "acme")) >= 1);

        scrape.Status.ShouldBe(HttpStatusCode.OK, service.Process.OutputTail);
        scrape.Value("eventstore_events_accepted_total", ("workspace", "acme")).ShouldBe(1, scrape.Body);
    }

    [Fact]
    public async Task no_longer_serves_the_metrics_on_the_api_address()
    {
        using var api = Api();

        (await Get(api, "/metrics")).ShouldBe(HttpStatusCode.NotFound, "workspace ids and volumes stay off the public address");
    }

    [Fact]
    public async Task serves_the_health_probes_on_both_addresses()
    {
        using var api = Api();
        using var management = Management();

        (await Get(management, "/health/ready")).ShouldBe(HttpStatusCode.OK);
        (await Get(management, "/health/live")).ShouldBe(HttpStatusCode.OK);
        (await Get(api, "/health/ready")).ShouldBe(HttpStatusCode.OK, "a load balancer probes the address it balances");
    }

    [Fact]
    public async Task serves_nothing_of_the_api_on_the_management_address()
    {
        using var management = Management();

        (await Get(management, "/events?user_id=operator", ApiFixture.AcmeToken)).ShouldBe(HttpStatusCode.NotFound);
        (await Get(management, "/console")).ShouldBe(HttpStatusCode.NotFound);
        (await Get(management, "/openapi/v1.json")).ShouldBe(HttpStatusCode.NotFound);
    }
}
