namespace EventStore.Api.Browser;

/// <summary>
/// Tracking from web pages (ADR 0014): the widget script, the CORS preflight and the rules' registry. The endpoint
/// that takes the events is a Wolverine endpoint (<see cref="TrackFromBrowserEndpoint"/>).
/// </summary>
public static class BrowserSetup
{
    public static IServiceCollection AddBrowserTracking(this IServiceCollection services)
    {
        services.AddOptions<BrowserLimits>().BindConfiguration("Browser");
        services.AddSingleton(provider => new BrowserWorkspaces(provider.GetRequiredService<IConfiguration>()));
        services.AddSingleton<BrowserRateLimits>();
        services.AddSingleton<MessengerWidget>();
        return services;
    }

    public static IEndpointRouteBuilder MapBrowserTracking(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(MessengerWidget.Path, (HttpContext context, MessengerWidget widget) => widget.WriteAsync(context));
        endpoints.MapGet("/widget/{appId}", (HttpContext context, MessengerWidget widget) => widget.WriteAsync(context));
        endpoints.MapMethods("/messenger/{appId}/events", [HttpMethods.Options], BrowserOrigins.Preflight);
        return endpoints;
    }
}
