using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Health;

/// <summary>
/// <c>/health/ready</c> answers 503 <c>Unhealthy</c> when PostgreSQL answers but the event store schema is not there
/// (dropped, or a database never migrated): the node is taken out of rotation. The process itself is still live.
/// </summary>
public sealed class when_the_schema_is_missing(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task reports_unready_with_503_and_still_live()
    {
        await api.ExecuteAsync("drop schema eventstore cascade");

        var ready = await api.Host.Send(HttpMethod.Get, "/health/ready", token: null);
        var live = await api.Host.Send(HttpMethod.Get, "/health/live", token: null);

        ready.Status.ShouldBe(HttpStatusCode.ServiceUnavailable, ready.Body);
        ready.Body.ShouldBe("Unhealthy");
        live.Status.ShouldBe(HttpStatusCode.OK, "the process answers");
    }
}
