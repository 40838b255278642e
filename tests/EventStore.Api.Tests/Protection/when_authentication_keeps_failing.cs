using System.Globalization;
using System.Net;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace EventStore.Api.Tests.Protection;

/// <summary>Five failed authentications per client address per window; the window is 10^9 seconds, so no test straddles two.</summary>
public sealed class FiveFailedAuthentications(PostgresServer postgres) : ApiFixture(postgres)
{
    public const int Limit = 5;
    public const long WindowSeconds = 1_000_000_000;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["RateLimits:FailedAuthenticationsPerAddress"] = Limit.ToString(CultureInfo.InvariantCulture),
        ["RateLimits:FailedAuthenticationWindowSeconds"] = WindowSeconds.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// Repeated 401s from one client address are throttled: once it has used up its failures, every request from it
/// is a 429 with <c>Retry-After</c> until the window ends, whatever token it presents; other addresses are not
/// affected. Each test uses addresses of its own (the documentation ranges of RFC 5737 and RFC 3849).
/// </summary>
public sealed class when_authentication_keeps_failing(FiveFailedAuthentications api) : IClassFixture<FiveFailedAuthentications>
{
    private const string Wrong = "not-a-token-of-anyone-0123456789";

    private async Task<Response> From(string address, string? token, string path = "/event-names")
    {
        var context = await api.Host.Server.SendAsync(c =>
        {
            c.Connection.RemoteIpAddress = IPAddress.Parse(address);
            c.Request.Method = "GET";
            c.Request.Path = path;
            c.Request.Headers["Intercom-Version"] = "2.14";
            if (token is not null)
            {
                c.Request.Headers.Authorization = $"Bearer {token}";
            }
        }, TestContext.Current.CancellationToken);
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync(TestContext.Current.CancellationToken);
        return new Response((HttpStatusCode)context.Response.StatusCode, body,
            context.Response.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
    }

    private async Task FailFromAsync(string address, int times)
    {
        for (var i = 0; i < times; i++)
        {
            (await From(address, Wrong)).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");
        }
    }

    [Fact]
    public async Task answers_429_with_retry_after_once_an_address_has_failed_too_often()
    {
        await FailFromAsync("203.0.113.1", FiveFailedAuthentications.Limit);

        var refused = await From("203.0.113.1", Wrong);

        refused.ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        var retryAfter = long.Parse(refused.Headers["Retry-After"], CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(1, FiveFailedAuthentications.WindowSeconds, "seconds until the window ends");
    }

    [Fact]
    public async Task refuses_even_a_valid_token_from_that_address_until_the_window_ends()
    {
        await FailFromAsync("203.0.113.2", FiveFailedAuthentications.Limit);

        (await From("203.0.113.2", ApiFixture.AcmeToken)).ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
    }

    [Fact]
    public async Task does_not_refuse_other_addresses()
    {
        await FailFromAsync("203.0.113.3", FiveFailedAuthentications.Limit);

        (await From("203.0.113.4", ApiFixture.AcmeToken)).Status.ShouldBe(HttpStatusCode.OK);
        (await From("203.0.113.4", Wrong)).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task counts_successful_requests_not_at_all()
    {
        for (var i = 0; i < 3 * FiveFailedAuthentications.Limit; i++)
        {
            (await From("203.0.113.5", ApiFixture.AcmeToken)).Status.ShouldBe(HttpStatusCode.OK);
        }

        await FailFromAsync("203.0.113.5", FiveFailedAuthentications.Limit);
    }

    [Fact]
    public async Task counts_an_ipv6_client_by_its_64_bit_prefix()
    {
        for (var i = 1; i <= FiveFailedAuthentications.Limit; i++)
        {
            (await From($"2001:db8:5:6::{i}", Wrong)).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");
        }

        (await From("2001:db8:5:6::abcd", ApiFixture.AcmeToken)).ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        (await From("2001:db8:5:7::1", ApiFixture.AcmeToken)).Status.ShouldBe(HttpStatusCode.OK, "another /64 is another client");
    }

    [Fact]
    public async Task never_refuses_a_health_probe()
    {
        await FailFromAsync("203.0.113.6", FiveFailedAuthentications.Limit);

        (await From("203.0.113.6", token: null, "/health/ready")).Status.ShouldBe(HttpStatusCode.OK);
    }
}
