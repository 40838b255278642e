using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Health;

public sealed class when_probing_health(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task reports_live_without_a_token()
    {
        var response = await api.Host.Send(HttpMethod.Get, "/health/live", token: null);

        response.Status.ShouldBe(HttpStatusCode.OK);
        response.Body.ShouldBe("Healthy");
    }

    [Fact]
    public async Task reports_ready_when_the_database_and_schema_are_in_place()
    {
        var response = await api.Host.Send(HttpMethod.Get, "/health/ready", token: null);

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        response.Body.ShouldBe("Healthy");
    }
}
