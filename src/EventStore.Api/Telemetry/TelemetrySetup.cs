using Microsoft.AspNetCore.RateLimiting;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EventStore.Api.Telemetry;

/// <summary>
/// OpenTelemetry for the service: metrics of ASP.NET Core, Kestrel, Npgsql, Wolverine, Marten, the .NET runtime and
/// <see cref="EventStoreMetrics"/>, served for Prometheus at <c>GET /metrics</c> (no token, no rate limit;
/// <c>Telemetry:Prometheus:*</c>) and pushed by OTLP when an endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// or <c>Telemetry:Otlp:Endpoint</c>), together with traces of ASP.NET Core, Npgsql, Wolverine and Marten.
/// Without OTLP no traces are recorded: there would be nowhere to send them. The resource's <c>service.name</c> is
/// <c>eventstore</c> unless <c>OTEL_SERVICE_NAME</c> says otherwise.
/// </summary>
public static class TelemetrySetup
{
    public const string DefaultServiceName = "eventstore";
    public const string DefaultScrapePath = "/metrics";

    /// <summary>Wolverine's and Marten's ActivitySource names (their assembly names).</summary>
    public static readonly string[] TraceSources = ["Wolverine", "Marten"];

    /// <summary>
    /// Meters besides ASP.NET Core's, Npgsql's and the runtime's (added by their instrumentation packages). Wolverine
    /// names its meter after the service ("Wolverine:EventStore.Api"), hence the wildcards.
    /// </summary>
    public static readonly string[] Meters = [EventStoreMetrics.MeterName, "Wolverine", "Wolverine:*", "Marten", "Marten:*"];

    public static WebApplicationBuilder AddEventStoreTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var prometheus = PrometheusSettings(configuration);
        var otlp = OtlpSettings(configuration);
        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } named ? named : DefaultServiceName;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                serviceName,
                serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(Meters);
                if (prometheus.Enabled)
                {
                    metrics.AddPrometheusExporter(options => options.ScrapeEndpointPath = prometheus.Path);
                }

                if (otlp.Enabled)
                {
                    metrics.AddOtlpExporter(options => otlp.Apply(options, "v1/metrics"));
                }
            });

        if (otlp.Enabled)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path, prometheus.Path))
                .AddNpgsql()
                .AddSource(TraceSources)
                .AddOtlpExporter(options => otlp.Apply(options, "v1/traces")));
        }

        return builder;
    }

    /// <summary>
    /// <c>GET /metrics</c> (or <c>Telemetry:Prometheus:Path</c>) in Prometheus' text format, unless
    /// <c>Telemetry:Prometheus:Enabled</c> is false. Like the health probes it needs no token, and it is never
    /// rate limited nor counted against a workspace (a scraper sending a workspace token included).
    /// </summary>
    public static WebApplication MapEventStoreMetrics(this WebApplication app)
    {
        var prometheus = PrometheusSettings(app.Configuration);
        if (prometheus.Enabled)
        {
            app.MapPrometheusScrapingEndpoint(prometheus.Path).AllowAnonymous().DisableRateLimiting();
        }

        return app;
    }

    private static bool IsProbe(PathString path, string scrapePath) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments(scrapePath);

    internal static (bool Enabled, string Path) PrometheusSettings(IConfiguration configuration)
    {
        var section = configuration.GetSection("Telemetry:Prometheus");
        var path = section["Path"] is { Length: > 0 } configured ? configured : DefaultScrapePath;
        if (!path.StartsWith('/'))
        {
            throw new InvalidOperationException($"Telemetry:Prometheus:Path must start with '/' (got '{path}').");
        }

        return (section.GetValue("Enabled", true), path);
    }

    internal static OtlpSettings OtlpSettings(IConfiguration configuration)
    {
        var protocol = configuration["Telemetry:Otlp:Protocol"] switch
        {
            null or "" => (OtlpExportProtocol?)null,
            "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new InvalidOperationException($"Telemetry:Otlp:Protocol must be grpc or http/protobuf (got '{other}')."),
        };
        var endpoint = configuration["Telemetry:Otlp:Endpoint"];
        if (string.IsNullOrEmpty(endpoint))
        {
            // The standard variables, which the exporter reads itself.
            var fromEnvironment = new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" }
                .Any(key => !string.IsNullOrEmpty(configuration[key]));
            return new OtlpSettings(fromEnvironment, null, protocol);
        }

        return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            ? new OtlpSettings(true, uri, protocol)
            : throw new InvalidOperationException($"Telemetry:Otlp:Endpoint must be an absolute URL such as http://collector:4317 (got '{endpoint}').");
    }
}

/// <summary>Where OTLP goes: <see cref="Endpoint"/> null means the standard <c>OTEL_EXPORTER_OTLP_*</c> variables decide.</summary>
internal sealed record OtlpSettings(bool Enabled, Uri? Endpoint, OtlpExportProtocol? Protocol)
{
    public void Apply(OtlpExporterOptions options, string signalPath)
    {
        if (Protocol is { } protocol)
        {
            options.Protocol = protocol;
        }

        if (Endpoint is { } endpoint)
        {
            // With http/protobuf a configured endpoint is used as given, so the signal's path is added here, as the
            // exporter itself does for OTEL_EXPORTER_OTLP_ENDPOINT.
            options.Endpoint = options.Protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath)
                : endpoint;
        }
    }
}
