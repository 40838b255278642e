using EventStore.Api.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace EventStore.Api.Health;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: a connection of the service's own pool answers
/// and the event store schema is in place (503 otherwise: a node whose pool is starved cannot serve, so the load
/// balancer must stop sending it traffic), and no projection is faulted (<c>Degraded</c>, still 200, otherwise:
/// reads are served from the previous version). Both in ASP.NET Core's standard health-check format, without a
/// token. There is no async projection daemon to check: every projection is inline (ADR 0008, 0011).
/// </summary>
public static class HealthEndpoints
{
    private const string Ready = "ready";

    /// <summary>How long the readiness probe waits for a connection of the pool before it reports the node unhealthy.</summary>
    private static readonly TimeSpan ConnectionWait = TimeSpan.FromSeconds(3);

    public static IServiceCollection AddEventStoreHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("event-store-schema", services => new EventStoreSchemaCheck(services.GetRequiredService<NpgsqlDataSource>()), HealthStatus.Unhealthy, [Ready], TimeSpan.FromSeconds(5)))
            .Add(new HealthCheckRegistration("projections", services => new ProjectionsCheck(
                services.GetRequiredService<Operations.ProjectionRebuilds>(), services.GetRequiredService<NpgsqlDataSource>()), HealthStatus.Degraded, [Ready], TimeSpan.FromSeconds(5)));
        return services;
    }

    public static WebApplication MapEventStoreHealthChecks(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(Ready) }).AllowAnonymous();
        return app;
    }

    /// <summary>Through the pool every request uses (not a connection of its own), so that a starved pool shows.</summary>
    private sealed class EventStoreSchemaCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            NpgsqlConnection connection;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                wait.CancelAfter(ConnectionWait);
                try
                {
                    connection = await dataSource.OpenConnectionAsync(wait.Token);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException)
                {
                    return HealthCheckResult.Unhealthy(
                        $"No PostgreSQL connection within {ConnectionWait.TotalSeconds:0} s: the connection pool is exhausted or the database unreachable", e);
                }
            }

            try
            {
                await using var _ = connection;
                await using var command = new NpgsqlCommand("select to_regclass(@table) is not null", connection);
                command.Parameters.AddWithValue("table", $"{EventStoreSchema.SchemaName}.mt_events");
                command.CommandTimeout = (int)ConnectionWait.TotalSeconds;
                var schemaInPlace = (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
                return schemaInPlace
                    ? HealthCheckResult.Healthy("PostgreSQL reachable, event store schema in place")
                    : HealthCheckResult.Unhealthy("PostgreSQL reachable, but the event store schema is missing (run db-apply)");
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL is unreachable", e);
            }
        }
    }

    private sealed class ProjectionsCheck(Operations.ProjectionRebuilds rebuilds, NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var statuses = await Operations.ProjectionStatuses.ReadAsync(rebuilds, dataSource, cancellationToken);
                var faulted = statuses.Where(s => s.State == Operations.ProjectionStatus.Faulted).Select(s => s.Name).ToList();
                return faulted.Count == 0
                    ? HealthCheckResult.Healthy("No projection is faulted")
                    : HealthCheckResult.Degraded($"Faulted (last rebuild failed; previous version served): {string.Join(", ", faulted)}");
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                // The schema check reports the database; this one has nothing to add.
                return HealthCheckResult.Healthy("Projection status unavailable while the database is");
            }
        }
    }
}
