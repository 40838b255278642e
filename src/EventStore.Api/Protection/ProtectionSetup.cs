using EventStore.Api.Hosting;

namespace EventStore.Api.Protection;

/// <summary>
/// Wiring of the request protections: size limits (URL, query parameters, headers; Kestrel's limits as a
/// backstop), per-workspace rate limits and idempotency keys. See <see cref="RequestLimits"/>,
/// <see cref="RateLimits"/> and <see cref="IdempotencyKeys"/>.
/// </summary>
public static class ProtectionSetup
{
    public static WebApplicationBuilder AddRequestProtection(this WebApplicationBuilder builder)
    {
        builder.ConfigureKestrelLimits();
        builder.Services.AddSingleton<IWorkspaceRateLimiter, FixedWindowRateLimiter>();
        builder.Services.AddSingleton<AuthenticationThrottle>();
        builder.Services.AddSingleton<IdempotencyStore>();
        // Run by the leader only (Hosting/LeaderElection.cs).
        builder.Services.AddSingleton<ILeaderWork, IdempotencyKeyPurge>();
        return builder;
    }

    /// <summary>After authentication (both need the workspace), before the endpoints: rate limit first, so retries count too.</summary>
    public static IApplicationBuilder UseWorkspaceProtection(this IApplicationBuilder app) =>
        app.UseWorkspaceRateLimits().UseIdempotencyKeys();
}
