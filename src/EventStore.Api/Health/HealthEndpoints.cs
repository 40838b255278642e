using EventStore.Api.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace EventStore.Api.Health;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: PostgreSQL answers and the event store
/// schema is in place. Both in ASP.NET Core's standard health-check format, without a token.
/// </summary>
public static class HealthEndpoints
{
    private const string Ready = "ready";

    public static IServiceCollection AddEventStoreHealthChecks(this IServiceCollection services, string connectionString)
    {
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration("event-store-schema", _ => new EventStoreSchemaCheck(connectionString), HealthStatus.Unhealthy, [Ready], TimeSpan.FromSeconds(5)));
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
}
