using System.Net;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Privacy;
using EventStore.Api.Tests.Reliability;
using Npgsql;

namespace EventStore.Api.Tests.Health;

/// <summary>A pool of three connections, so that a test can hold all of them.</summary>
public sealed class ThreeConnectionPool(PostgresServer postgres) : ApiFixture(postgres)
{
    public const int PoolSize = 3;

    protected override string Connection(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = PoolSize }.ConnectionString;
}

/// <summary>
/// Readiness is checked through the pool every request uses: a node that cannot get a connection cannot serve, so
/// it reports Unhealthy (503) and the load balancer stops sending it traffic, until a connection is free again.
/// </summary>
public sealed class when_the_connection_pool_is_starved(ThreeConnectionPool api) : IClassFixture<ThreeConnectionPool>
{
    [Fact]
    public async Task reports_unhealthy_while_every_connection_is_taken_and_healthy_again_after()
    {
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < ThreeConnectionPool.PoolSize; i++)
            {
                held.Add(await api.DataSource().OpenConnectionAsync(TestContext.Current.CancellationToken));
            }

            var starved = await api.Host.Send(HttpMethod.Get, "/health/ready", token: null);

            starved.Status.ShouldBe(HttpStatusCode.ServiceUnavailable, starved.Body);
            starved.Body.ShouldBe("Unhealthy");
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }

        await Waits.Until(
            async () => (await api.Host.Send(HttpMethod.Get, "/health/ready", token: null)).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "readiness once the connections are back in the pool");
    }
}
