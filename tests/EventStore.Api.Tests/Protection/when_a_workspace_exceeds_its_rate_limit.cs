using System.Globalization;
using System.Net;
using EventStore.Api.Protection;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace EventStore.Api.Tests.Protection;

/// <summary>Intercom's per-workspace rate limits through the real pipeline, with 5 requests per window.</summary>
public sealed class when_a_workspace_exceeds_its_rate_limit(FiveRequestsPerWindow api) : IClassFixture<FiveRequestsPerWindow>
{
    private static readonly long WindowEnd = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() / FiveRequestsPerWindow.WindowSeconds + 1) * FiveRequestsPerWindow.WindowSeconds;

    private Task<Response> Get(string workspace, string url = "/segments") => api.Host.Get(url, FiveRequestsPerWindow.TokenOf(workspace));

    [Fact]
    public async Task reports_the_limit_the_remaining_requests_and_the_window_end_on_every_response()
    {
        var first = await Get("rl-1");
        var second = await Get("rl-1", "/no-such-route");

        first.Headers["X-RateLimit-Limit"].ShouldBe("5");
        first.Headers["X-RateLimit-Remaining"].ShouldBe("4");
        first.Headers["X-RateLimit-Reset"].ShouldBe(WindowEnd.ToString(CultureInfo.InvariantCulture), "Unix seconds of the end of the current window");
        second.Headers["X-RateLimit-Remaining"].ShouldBe("3", "an error response of an authenticated request counts and reports too");
    }

    [Fact]
    public async Task answers_429_rate_limit_exceeded_with_retry_after_beyond_the_limit()
    {
        for (var i = 0; i < FiveRequestsPerWindow.Limit; i++)
        {
            (await Get("rl-2")).Status.ShouldBe(HttpStatusCode.OK, $"request {i + 1} is within the limit");
        }

        var refused = await Get("rl-2");

        refused.ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        refused.Errors().Single().Message.ShouldBe($"Exceeded rate limit of 5 in {FiveRequestsPerWindow.WindowSeconds}_seconds");
        refused.Headers["X-RateLimit-Remaining"].ShouldBe("0");
        long.Parse(refused.Headers["Retry-After"], CultureInfo.InvariantCulture).ShouldBeInRange(1, FiveRequestsPerWindow.WindowSeconds, "seconds until the window ends");
    }

    [Fact]
    public async Task counts_duplicate_events_too()
    {
        var body = Scenarios.Event(name: "again", userId: "rl", createdAt: 1_700_000_000);
        for (var i = 0; i < FiveRequestsPerWindow.Limit; i++)
        {
            (await api.Host.PostEvent(body, FiveRequestsPerWindow.TokenOf("rl-3"))).Status.ShouldBe(HttpStatusCode.Accepted);
        }

        (await api.Host.PostEvent(body, FiveRequestsPerWindow.TokenOf("rl-3"))).ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
    }

    [Fact]
    public async Task counts_each_workspace_separately()
    {
        for (var i = 0; i <= FiveRequestsPerWindow.Limit; i++)
        {
            await Get("rl-4");
        }

        var other = await Get("rl-5");

        other.Status.ShouldBe(HttpStatusCode.OK, "another workspace's budget is its own");
        other.Headers["X-RateLimit-Remaining"].ShouldBe("4");
    }

    [Fact]
    public async Task does_not_count_or_limit_health_probes_and_requests_without_a_workspace_token()
    {
        var health = await api.Host.Send(HttpMethod.Get, "/health/live", token: FiveRequestsPerWindow.TokenOf("rl-6"));
        var anonymous = await api.Host.Send(HttpMethod.Get, "/segments", token: null);
        var unknown = await api.Host.Send(HttpMethod.Get, "/segments", token: "not-a-token");

        health.Headers.ShouldNotContainKey("X-RateLimit-Limit", "health probes are not rate limited");
        anonymous.Headers.ShouldNotContainKey("X-RateLimit-Limit", "an unauthenticated request has no workspace to count against");
        unknown.Headers.ShouldNotContainKey("X-RateLimit-Limit");
        (await Get("rl-6")).Headers["X-RateLimit-Remaining"].ShouldBe("4", "none of them counted against rl-6");
    }

    [Fact]
    public async Task loses_no_count_under_concurrent_requests()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 3 * FiveRequestsPerWindow.Limit).Select(_ => Get("rl-7")));

        responses.Count(r => r.Status == HttpStatusCode.OK).ShouldBe(FiveRequestsPerWindow.Limit, string.Join(" | ", responses.Select(r => r.Status)));
        responses.Count(r => r.Status == HttpStatusCode.TooManyRequests).ShouldBe(2 * FiveRequestsPerWindow.Limit);
    }
}

/// <summary>The limiter itself: windows, all-or-nothing consumption, exactness under contention, the endpoint API.</summary>
public sealed class when_counting_requests_in_fixed_windows
{
    private sealed class ManualClock(long unixSeconds) : TimeProvider
    {
        public long Now { get; set; } = unixSeconds;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeSeconds(Now);
    }

    private static FixedWindowRateLimiter Limiter(TimeProvider clock, int limit = 5, int seconds = 10) =>
        new(Options.Create(new RateLimitOptions { RequestsPerWindow = limit, WindowSeconds = seconds }), clock);

    [Fact]
    public void starts_a_full_budget_when_the_next_window_begins()
    {
        var clock = new ManualClock(1_700_000_005);
        var limiter = Limiter(clock);
        for (var i = 0; i < 5; i++)
        {
            limiter.TryConsume("w").Allowed.ShouldBeTrue();
        }

        limiter.TryConsume("w").Allowed.ShouldBeFalse("the window 1700000000-1700000010 is used up");
        clock.Now = 1_700_000_010;

        var next = limiter.TryConsume("w");
        next.Allowed.ShouldBeTrue("a new window has begun");
        next.Remaining.ShouldBe(4);
        next.ResetAt.ShouldBe(1_700_000_020);
    }

    [Fact]
    public void takes_several_units_all_or_nothing()
    {
        var limiter = Limiter(new ManualClock(1_700_000_000));
        limiter.TryConsume("w", 3).Allowed.ShouldBeTrue();

        limiter.TryConsume("w", 3).Allowed.ShouldBeFalse("3 more do not fit in the 2 left");
        limiter.TryConsume("w", 2).Remaining.ShouldBe(0, "the refused request took nothing");
    }

    [Fact]
    public async Task admits_exactly_the_limit_under_contention()
    {
        var limiter = Limiter(new ManualClock(1_700_000_000), limit: 50_000);

        var admitted = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 10_000).Count(_ => limiter.TryConsume("w").Allowed), TestContext.Current.CancellationToken)));

        admitted.Sum().ShouldBe(50_000, "no update may be lost and none admitted beyond the limit");
    }

    [Fact]
    public void lets_an_endpoint_take_one_unit_per_event_of_a_bulk_request()
    {
        var limiter = Limiter(new ManualClock(1_700_000_000), limit: 10);
        var context = new DefaultHttpContext();
        var feature = new WorkspaceRateLimitFeature(limiter, "w");
        context.Features.Set(feature);
        feature.TryConsume(1);

        context.ConsumeRateLimit(8).ShouldBeNull("1 + 8 units fit in 10");
        context.ConsumeRateLimit(2).ShouldNotBeNull("a 429 result when they do not fit");
        feature.Last.Remaining.ShouldBe(1);
    }
}

/// <summary>A bulk request counts against the limit by the number of events it carries.</summary>
public sealed class when_a_bulk_request_exceeds_the_rate_limit(FiveRequestsPerWindow api) : IClassFixture<FiveRequestsPerWindow>
{
    [Fact]
    public async Task refuses_a_bulk_of_more_events_than_the_window_has_left_and_stores_none_of_them()
    {
        const string workspace = "rl-8";
        var events = string.Join(",", Enumerable.Range(0, FiveRequestsPerWindow.Limit + 1)
            .Select(i => $$"""{"event_name":"bulk","created_at":{{1_700_000_000 + i}},"user_id":"bulk-limited"}"""));

        var response = await api.Host.Send(HttpMethod.Post, "/events/bulk", $"[{events}]", FiveRequestsPerWindow.TokenOf(workspace));

        response.ShouldBeError(System.Net.HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        (await api.TrackedIn(workspace)).ShouldBeEmpty();
    }
}
