using System.Net;

namespace EventStore.Api.Tests.Telemetry;

public sealed class when_prometheus_is_turned_off(ServiceWithoutPrometheus api) : IClassFixture<ServiceWithoutPrometheus>
{
    [Fact]
    public async Task serves_no_metrics_endpoint()
    {
        var scrape = await Scrape.Take(api.Host);

        scrape.Status.ShouldBe(HttpStatusCode.NotFound, scrape.Body);
    }
}
