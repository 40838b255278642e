using EventStore.Api.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace EventStore.Api.Health;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: PostgreSQL answers and the event store
/// schema is in place (503 otherwise), and no projection is faulted (<c>Degraded</c>, still 200, otherwise:
/// reads are served from the previous version). Both in ASP.NET Core's standard health-check format, without a
/// token. There is no async projection daemon to check: every projection is inline (ADR 0008, 0011).
/// </summary>
public static class HealthEndpoints
{
    private const string Ready = "ready";

    public static IServiceCollection AddEventStoreHealthChecks(this IServiceCollection services, string connectionString)
    {
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("event-store-schema", _ => new EventStoreSchemaCheck(connectionString), HealthStatus.Unhealthy, [Ready], TimeSpan.FromSeconds(5)))
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

    private sealed class EventStoreSchemaCheck(string connectionString) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("select to_regclass(@table) is not null", connection);
                command.Parameters.AddWithValue("table", $"{EventStoreSchema.SchemaName}.mt_events");
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
