using EventStore.Api.Telemetry;

namespace EventStore.Api.Hosting;

/// <summary>
/// <c>Management:Urls</c>: addresses (like <c>--urls</c>, separated by <c>;</c>) that serve only the Prometheus
/// scrape endpoint and the health probes, so that a load balancer can publish the API's addresses alone. When set,
/// the API's own addresses no longer serve the scrape endpoint (its labels name workspaces and their volumes);
/// unset, everything is served on the API's addresses, as before.
/// </summary>
public static class ManagementAddress
{
    public const string Key = "Management:Urls";

    /// <summary>Listens on the management addresses besides the API's own (<c>--urls</c>, <c>ASPNETCORE_URLS</c>).</summary>
    public static WebApplicationBuilder AddManagementAddress(this WebApplicationBuilder builder)
    {
        var management = Urls(builder.Configuration);
        if (management.Count > 0)
        {
            var api = (builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey) is { Length: > 0 } urls ? urls : "http://localhost:5000")
                .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            builder.WebHost.UseUrls([.. api, .. management]);
        }

        return builder;
    }

    /// <summary>
    /// Sends each request where it belongs: on a management port only the probes and the scrape endpoint answer;
    /// on the API's ports the scrape endpoint is gone while a management address is configured. Others get 404.
    /// </summary>
    public static WebApplication UseManagementAddress(this WebApplication app)
    {
        var ports = Ports(app.Configuration);
        if (ports.Count == 0)
        {
            return app;
        }

        var scrapePath = TelemetrySetup.PrometheusSettings(app.Configuration).Path;
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            var scrape = path.StartsWithSegments(scrapePath);
            var served = ports.Contains(context.Connection.LocalPort) ? scrape || path.StartsWithSegments("/health") : !scrape;
            if (served)
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }

    /// <summary>The ports of <c>Management:Urls</c>; a readable exception for one that is not an address with a port.</summary>
    internal static IReadOnlySet<int> Ports(IConfiguration configuration)
    {
        var ports = new HashSet<int>();
        foreach (var url in Urls(configuration))
        {
            BindingAddress? address = null;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
            }

            if (address is null || address.Port <= 0 || address.Scheme is not ("http" or "https"))
            {
                throw new InvalidOperationException($"{Key}: '{url}' is not an address to listen on; expected e.g. http://0.0.0.0:9090 (several separated by ';').");
            }

            ports.Add(address.Port);
        }

        return ports;
    }

    private static IReadOnlyList<string> Urls(IConfiguration configuration) =>
        (configuration[Key] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
