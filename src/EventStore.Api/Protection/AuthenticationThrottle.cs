using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using Microsoft.Extensions.Options;

namespace EventStore.Api.Protection;

/// <summary>
/// Repeated 401s from one client address: after <c>RateLimits:FailedAuthenticationsPerAddress</c> (20) failed
/// authentications in a window of <c>RateLimits:FailedAuthenticationWindowSeconds</c> (60), every request from that
/// address is a 429 <c>rate_limit_exceeded</c> with <c>Retry-After</c> until the window ends, before its token is
/// even looked up. IPv6 clients count by /64 (one subscriber's prefix). The address is the client's as forwarded by
/// a known proxy (<see cref="Http.PublicAddress"/>): behind a proxy that is not configured, all clients share its
/// address. Counted in memory per node; endpoints without a token (health probes, metrics) are never refused; a
/// request without an address (an in-process test server) is not counted.
/// </summary>
public sealed class AuthenticationThrottle
{
    private readonly FixedWindowRateLimiter failures;
    private readonly Lock pruning = new();
    private int pruneAbove = 4096;

    public AuthenticationThrottle(IOptions<RateLimitOptions> options, TimeProvider clock) =>
        failures = new FixedWindowRateLimiter(options.Value.FailedAuthenticationsPerAddress, options.Value.FailedAuthenticationWindowSeconds, clock,
            "RateLimits:FailedAuthenticationsPerAddress", "RateLimits:FailedAuthenticationWindowSeconds");

    public bool IsEnabled => failures.IsEnabled;

    /// <summary>Whether the address has used up its failures in this window (the decision carries the window's end).</summary>
    public RateLimitDecision Check(string address) => failures.TryConsume(address, 0);

    public void RecordFailure(string address)
    {
        failures.TryConsume(address, 1);
        if (failures.Keys > pruneAbove)
        {
            lock (pruning)
            {
                failures.ForgetEndedWindows();
                pruneAbove = Math.Max(4096, failures.Keys * 2);
            }
        }
    }

    /// <summary>What failures are counted by: the IPv4 address, or the /64 of an IPv6 one; null without an address.</summary>
    public static string? KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return $"{new IPAddress(bytes)}/64";
    }
}

public static class AuthenticationThrottling
{
    /// <summary>Before authentication, after the client address is known (forwarded headers).</summary>
    public static IApplicationBuilder UseAuthenticationThrottle(this IApplicationBuilder app)
    {
        var throttle = app.ApplicationServices.GetRequiredService<AuthenticationThrottle>();
        if (!throttle.IsEnabled)
        {
            return app;
        }

        return app.Use(async (context, next) =>
        {
            if (context.IsAnonymousEndpoint() || AuthenticationThrottle.KeyOf(context.Connection.RemoteIpAddress) is not { } address)
            {
                await next(context);
                return;
            }

            var decision = throttle.Check(address);
            if (decision.Remaining == 0)
            {
                context.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await ErrorList.WriteAsync(context, StatusCodes.Status429TooManyRequests, new ApiError(RateLimits.Code,
                    $"Too many failed authentications from this address ({decision.Limit} in {decision.WindowSeconds} seconds); retry after {decision.RetryAfterSeconds} seconds"));
                return;
            }

            await next(context);
            if (context.Response.StatusCode == StatusCodes.Status401Unauthorized)
            {
                throttle.RecordFailure(address);
            }
        });
    }
}
