using System.Diagnostics.Metrics;
using EventStore.Api.Telemetry;

namespace EventStore.Api.Operations;

/// <summary>Projection status and online rebuilds (ADR 0011); their settings, <c>Operations:Rebuild:*</c>, are bound in Hosting/ServiceSettings.</summary>
public static class OperationsSetup
{
    public static IServiceCollection AddProjectionOperations(this IServiceCollection services)
    {
        services.AddSingleton<ProjectionRebuilds>();
        // Every projection is inline, applied in the transaction of its events: its lag is zero by construction.
        EventStoreMetrics.ObserveProjectionLag(() => ReadModels.All.Select(model =>
            new Measurement<long>(0, new KeyValuePair<string, object?>(EventStoreMetrics.ProjectionTag, model.Name))));
        return services;
    }
}
