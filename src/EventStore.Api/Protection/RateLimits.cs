using System.Collections.Concurrent;
using System.Globalization;
using EventStore.Api.Errors;
using EventStore.Api.Telemetry;
using EventStore.Api.Workspaces;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace EventStore.Api.Protection;

/// <summary>
/// <c>RateLimits:*</c>: requests per workspace per fixed window (<c>RequestsPerWindow = 0</c> disables the limit), and
/// failed authentications per client address per window (<see cref="AuthenticationThrottle"/>; <c>0</c> disables it).
/// </summary>
public sealed class RateLimitOptions
{
    public int RequestsPerWindow { get; set; } = 1000;

    public int WindowSeconds { get; set; } = 10;

    public int FailedAuthenticationsPerAddress { get; set; } = 20;

    public int FailedAuthenticationWindowSeconds { get; set; } = 60;
}

/// <summary>What a consumption decided, and what the <c>X-RateLimit-*</c> headers of the response say.</summary>
public readonly record struct RateLimitDecision(bool Allowed, int Limit, int Remaining, long ResetAt, int WindowSeconds, long Now)
{
    /// <summary>Whole seconds until the window ends (at least 1): the <c>Retry-After</c> of a 429.</summary>
    public long RetryAfterSeconds => Math.Max(1, ResetAt - Now);
}

/// <summary>
/// Per-workspace request budget in fixed windows aligned to Unix time (with 10-second windows, each
/// window ends at a multiple of 10 seconds). Counted in memory on each node: with N nodes behind a
/// load balancer a workspace gets up to N times the limit.
/// </summary>
public interface IWorkspaceRateLimiter
{
    bool IsEnabled { get; }

    /// <summary>
    /// Takes <paramref name="units"/> from the workspace's budget in the current window, all or nothing:
    /// when they do not fit, nothing is taken and the decision is not allowed.
    /// </summary>
    RateLimitDecision TryConsume(string workspace, int units = 1);
}

/// <summary>
/// Lock-free fixed-window counter: per key (a workspace, or a browser visitor) one 64-bit word holding (window number,
/// units used), updated with compare-and-swap, so concurrent requests never lose a count and a window rolls over
/// atomically. When a new window starts, the counters of keys idle since an earlier one are dropped, so that keys
/// without end (visitors) cost memory only while active (a request racing that sweep may go uncounted).
/// </summary>
public sealed class FixedWindowRateLimiter : IWorkspaceRateLimiter
{
    private readonly ConcurrentDictionary<string, Counter> counters = new(StringComparer.Ordinal);
    private readonly TimeProvider clock;
    private readonly int limit;
    private readonly int windowSeconds;
    private long sweptWindow;

    public FixedWindowRateLimiter(IOptions<RateLimitOptions> options, TimeProvider clock)
        : this(options.Value.RequestsPerWindow, options.Value.WindowSeconds, clock, "RateLimits:RequestsPerWindow", "RateLimits:WindowSeconds")
    {
    }

    /// <summary>A limiter of <paramref name="limit"/> units per key per window; the setting names are for the error message.</summary>
    public FixedWindowRateLimiter(int limit, int windowSeconds, TimeProvider clock, string limitSetting, string windowSetting)
    {
        this.clock = clock;
        this.limit = limit;
        this.windowSeconds = windowSeconds;
        if (limit < 0 || windowSeconds < 1)
        {
            throw new InvalidOperationException($"{limitSetting} must be 0 (off) or more and {windowSetting} at least 1.");
        }
    }

    public bool IsEnabled => limit > 0;

    /// <summary>Keys counted (windows ended included, until <see cref="ForgetEndedWindows"/>).</summary>
    public int Keys => counters.Count;

    /// <summary>Drops the counters of windows that have ended: for keys without bound (client addresses).</summary>
    public void ForgetEndedWindows()
    {
        var window = (uint)(clock.GetUtcNow().ToUnixTimeSeconds() / windowSeconds);
        foreach (var (key, counter) in counters)
        {
            if ((uint)(Volatile.Read(ref counter.State) >>> 32) != window)
            {
                counters.TryRemove(KeyValuePair.Create(key, counter));
            }
        }
    }

    public RateLimitDecision TryConsume(string workspace, int units = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(units);
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var window = now / windowSeconds;
        var resetAt = (window + 1) * windowSeconds;
        if (Interlocked.Exchange(ref sweptWindow, window) != window)
        {
            ForgetIdleBefore(window);
        }

        var counter = counters.GetOrAdd(workspace, static _ => new Counter());
        while (true)
        {
            var state = Volatile.Read(ref counter.State);
            var used = (uint)(state >>> 32) == (uint)window ? (long)(uint)state : 0;
            if (used + units > limit)
            {
                return new RateLimitDecision(false, limit, (int)Math.Max(0, limit - used), resetAt, windowSeconds, now);
            }

            var next = ((long)(uint)window << 32) | (uint)(used + units);
            if (units == 0 || Interlocked.CompareExchange(ref counter.State, next, state) == state)
            {
                return new RateLimitDecision(true, limit, (int)(limit - used - units), resetAt, windowSeconds, now);
            }
        }
    }

    private void ForgetIdleBefore(long window)
    {
        foreach (var (key, counter) in counters)
        {
            if ((uint)(Volatile.Read(ref counter.State) >>> 32) != (uint)window)
            {
                counters.TryRemove(KeyValuePair.Create(key, counter));
            }
        }
    }

    private sealed class Counter
    {
        public long State;
    }
}

/// <summary>The rate-limit state of one request: lets an endpoint take more units (one per event of a bulk request).</summary>
public sealed class WorkspaceRateLimitFeature(IWorkspaceRateLimiter limiter, string workspace)
{
    public string Workspace => workspace;

    /// <summary>The latest decision for this request: what the response headers report.</summary>
    public RateLimitDecision Last { get; private set; }

    public RateLimitDecision TryConsume(int units)
    {
        Last = limiter.TryConsume(workspace, units);
        return Last;
    }
}

/// <summary>
/// Intercom's rate limits: every request of a workspace token counts (duplicates and retries too), every
/// such response carries <c>X-RateLimit-Limit</c>, <c>X-RateLimit-Remaining</c> and <c>X-RateLimit-Reset</c>
/// (Unix seconds of the window's end), and a request over the limit is a 429 <c>rate_limit_exceeded</c> with
/// <c>Retry-After</c>. Health probes, endpoints marked <c>DisableRateLimiting</c> (the metrics scrape) and requests
/// without a workspace token are not counted.
/// </summary>
public static class RateLimits
{
    public const string Code = "rate_limit_exceeded";

    public static IApplicationBuilder UseWorkspaceRateLimits(this IApplicationBuilder app)
    {
        var limiter = app.ApplicationServices.GetRequiredService<IWorkspaceRateLimiter>();
        if (!limiter.IsEnabled)
        {
            return app;
        }

        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/health")
                || context.GetEndpoint()?.Metadata.GetMetadata<DisableRateLimitingAttribute>() is not null
                || context.User.FindFirst(Policies.WorkspaceClaim)?.Value is not { } workspace)
            {
                await next(context);
                return;
            }

            var feature = new WorkspaceRateLimitFeature(limiter, workspace);
            context.Features.Set(feature);
            var decision = feature.TryConsume(1);
            context.Response.OnStarting(() =>
            {
                WriteHeaders(context.Response, feature.Last);
                return Task.CompletedTask;
            });
            if (!decision.Allowed)
            {
                EventStoreMetrics.RejectedRequest(context, workspace, Code);
                await Exceeded(context, decision).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
    }

    /// <summary>
    /// For endpoints whose request is worth more than one unit (POST /events/bulk: one per event). The
    /// middleware already took one unit for the request; this takes <paramref name="units"/> more, all or
    /// nothing. Returns null when they were taken (or no limit applies), else the 429 to answer with.
    /// </summary>
    public static IResult? ConsumeRateLimit(this HttpContext context, int units)
    {
        if (units <= 0 || context.Features.Get<WorkspaceRateLimitFeature>() is not { } feature)
        {
            return null;
        }

        var decision = feature.TryConsume(units);
        return decision.Allowed ? null : Exceeded(context, decision);
    }

    private static IResult Exceeded(HttpContext context, RateLimitDecision decision)
    {
        context.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return ErrorList.Result(context, StatusCodes.Status429TooManyRequests,
            new ApiError(Code, $"Exceeded rate limit of {decision.Limit} in {decision.WindowSeconds}_seconds"));
    }

    private static void WriteHeaders(HttpResponse response, RateLimitDecision decision)
    {
        response.Headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Reset"] = decision.ResetAt.ToString(CultureInfo.InvariantCulture);
    }
}
