using System.Net;
using EventStore.Api.Errors;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace EventStore.Api.Http;

/// <summary>
/// Where clients reach the service, for the absolute links of <see cref="Links"/> and for the client address the
/// authentication throttle counts by. <c>PublicUrl</c>, when set (e.g. <c>https://events.example.com</c>), is the
/// scheme, host and path base of every link whatever the request says. Otherwise the request's own are used, with
/// <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> honoured only from the proxies listed in
/// <c>ForwardedHeaders:KnownProxies:N</c> (addresses) and <c>ForwardedHeaders:KnownNetworks:N</c> (CIDR ranges):
/// none by default, not even loopback, so a client cannot make links point elsewhere or downgrade them to http.
/// <c>AllowedHosts</c> (<c>;</c>-separated, <c>*.example.com</c> allowed) is checked here, on the host as forwarded by
/// a known proxy, and answered with an <c>error.list</c> (ASP.NET Core's own filter would check the proxy's Host
/// header, before forwarded headers, and answer with an HTML page).
/// </summary>
public static class PublicAddress
{
    public static WebApplicationBuilder AddPublicAddress(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("ForwardedHeaders");
        var proxies = section.GetSection("KnownProxies").Get<string[]>() ?? [];
        var networks = section.GetSection("KnownNetworks").Get<string[]>() ?? [];
        var allowedHosts = (builder.Configuration["AllowedHosts"] ?? "*").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        builder.Services.AddSingleton(new AllowedHosts(allowedHosts));
        // Runs before forwarded headers and answers in HTML: UsePublicAddress checks AllowedHosts instead.
        builder.Services.PostConfigure<HostFilteringOptions>(options => options.AllowedHosts = ["*"]);
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address) ? address
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address."));
            }

            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var range) ? range
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks: '{network}' is not a CIDR range such as 10.0.0.0/8."));
            }

            // A forwarded host is held to the same list as the Host header (AllowedHosts).
            if (!allowedHosts.Contains("*"))
            {
                options.AllowedHosts = allowedHosts;
            }
        });
        builder.Services.AddOptions<PublicUrlOptions>().Bind(builder.Configuration).Validate(
            o => o.PublicUrl is null || (Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query.Length == 0),
            "PublicUrl must be an absolute http or https URL without a query, e.g. https://events.example.com").ValidateOnStart();
        return builder;
    }

    /// <summary>Early in the pipeline: everything after it sees the public scheme, host and client address.</summary>
    public static WebApplication UsePublicAddress(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        if (options.KnownProxies.Count > 0 || options.KnownIPNetworks.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        var allowed = app.Services.GetRequiredService<AllowedHosts>();
        if (!allowed.Any)
        {
            // Anonymous endpoints (health, metrics) answer any host: probes and scrapers address a node directly.
            app.Use((context, next) => allowed.Allows(context.Request.Host) || context.IsAnonymousEndpoint()
                ? next(context)
                : ErrorList.WriteAsync(context, StatusCodes.Status400BadRequest,
                    new ApiError("bad_request", "The Host header names a host this service does not answer for (AllowedHosts)", "Host")));
        }

        if (app.Services.GetRequiredService<IOptions<PublicUrlOptions>>().Value.PublicUrl is { } publicUrl)
        {
            var uri = new Uri(publicUrl);
            var host = HostString.FromUriComponent(uri.Authority);
            var pathBase = PathString.FromUriComponent(uri.AbsolutePath.TrimEnd('/'));
            app.Use((context, next) =>
            {
                context.Request.Scheme = uri.Scheme;
                context.Request.Host = host;
                context.Request.PathBase = pathBase.Add(context.Request.PathBase);
                return next(context);
            });
        }

        return app;
    }
}

public static class AnonymousEndpoints
{
    /// <summary>Whether the request is for an endpoint that needs no token (health probes, the metrics scrape).</summary>
    public static bool IsAnonymousEndpoint(this HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null;
}

/// <summary><c>AllowedHosts</c>: the host names requests may name, as ASP.NET Core's host filtering matches them.</summary>
public sealed class AllowedHosts(IReadOnlyList<string> patterns)
{
    private readonly StringSegment[] segments = [.. patterns.Select(p => new StringSegment(p))];

    public bool Any => patterns.Count == 0 || patterns.Contains("*");

    public bool Allows(HostString host) => host.HasValue && HostString.MatchesAny(host.Host, segments);
}

/// <summary><c>PublicUrl</c>: the address clients use, e.g. <c>https://events.example.com</c>; unset, links follow the request.</summary>
public sealed class PublicUrlOptions
{
    public string? PublicUrl { get; set; }
}
