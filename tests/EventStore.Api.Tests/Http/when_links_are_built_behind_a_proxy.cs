using System.Net;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Privacy;
using Microsoft.AspNetCore.Http;

namespace EventStore.Api.Tests.Http;

/// <summary>A TLS proxy at 10.0.0.1 forwards for events.example.com; AllowedHosts names the hosts requests may use.</summary>
public sealed class BehindAKnownProxy(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["ForwardedHeaders:KnownProxies:0"] = "10.0.0.1",
        ["AllowedHosts"] = "localhost;events.example.com",
    };
}

/// <summary>PublicUrl set: links use it, whatever the request's Host.</summary>
public sealed class WithAPublicUrl(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["PublicUrl"] = "https://events.example.com/tracking",
    };
}

/// <summary>What a request from a given address, with given headers, gets: shared by both fixtures' tests.</summary>
internal static class ProxiedRequests
{
    public static async Task<Response> GetFrom(this ApiFixture api, string address, string pathAndQuery, IDictionary<string, string> headers)
    {
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var context = await api.Host.Server.SendAsync(c =>
        {
            c.Connection.RemoteIpAddress = IPAddress.Parse(address);
            c.Request.Method = "GET";
            c.Request.Path = query < 0 ? pathAndQuery : pathAndQuery[..query];
            c.Request.QueryString = new QueryString(query < 0 ? "" : pathAndQuery[query..]);
            c.Request.Headers.Authorization = $"Bearer {ApiFixture.AcmeToken}";
            foreach (var (name, value) in headers)
            {
                c.Request.Headers[name] = value;
            }
        }, TestContext.Current.CancellationToken);
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync(TestContext.Current.CancellationToken);
        return new Response((HttpStatusCode)context.Response.StatusCode, body,
            context.Response.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
    }

    public static JsonNode Pages(this Response response)
    {
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        return response.Json["pages"]!;
    }

    public static async Task SeedTwoEventsAsync(this ApiFixture api, string userId)
    {
        await api.Track(userId, "linked", 1_700_000_000);
        await api.Track(userId, "linked", 1_700_000_001);
    }
}

/// <summary>
/// Links (<c>pages.next</c>, <c>pages.since</c>) follow the scheme and host a known proxy forwards, so a client behind
/// TLS is never sent to http:// with its token; forwarded headers from anyone else, and hosts not allowed, are ignored.
/// </summary>
public sealed class when_links_are_built_behind_a_proxy(BehindAKnownProxy api) : IClassFixture<BehindAKnownProxy>
{
    private static readonly Dictionary<string, string> Forwarded = new()
    {
        ["X-Forwarded-Proto"] = "https",
        ["X-Forwarded-Host"] = "events.example.com",
        ["X-Forwarded-For"] = "198.51.100.7",
    };

    [Fact]
    public async Task builds_links_from_the_scheme_and_host_the_known_proxy_forwards()
    {
        await api.SeedTwoEventsAsync("proxied-1");

        var pages = (await api.GetFrom("10.0.0.1", "/events?type=user&user_id=proxied-1&per_page=1", Forwarded)).Pages();

        pages["next"]!.GetValue<string>().ShouldStartWith("https://events.example.com/events?");
        pages["since"]!.GetValue<string>().ShouldStartWith("https://events.example.com/events?");
    }

    [Fact]
    public async Task ignores_forwarded_headers_from_any_other_address()
    {
        await api.SeedTwoEventsAsync("proxied-2");

        var pages = (await api.GetFrom("10.0.0.2", "/events?type=user&user_id=proxied-2&per_page=1", Forwarded)).Pages();

        pages["next"]!.GetValue<string>().ShouldStartWith("http://localhost/events?", customMessage: "only the configured proxy is believed");
    }

    [Fact]
    public async Task ignores_a_forwarded_host_that_is_not_allowed()
    {
        await api.SeedTwoEventsAsync("proxied-3");

        var response = await api.GetFrom("10.0.0.1", "/events?type=user&user_id=proxied-3&per_page=1",
            new Dictionary<string, string>(Forwarded) { ["X-Forwarded-Host"] = "evil.example.com" });

        response.Body.ShouldNotContain("evil.example.com");
    }

    [Fact]
    public async Task refuses_a_host_header_not_in_allowed_hosts_with_an_error_list()
    {
        var response = await api.GetFrom("10.0.0.2", "/event-names", new Dictionary<string, string> { ["Host"] = "evil.example.com" });

        response.ShouldBeError(HttpStatusCode.BadRequest, "bad_request", "Host");
    }

    [Fact]
    public async Task answers_a_health_probe_whatever_its_host()
    {
        var response = await api.GetFrom("10.0.0.9", "/health/live", new Dictionary<string, string> { ["Host"] = "10.0.0.42:8080" });

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
    }
}

/// <summary>With <c>PublicUrl</c> configured, every link is built from it: a forged Host header cannot redirect a client.</summary>
public sealed class when_links_are_built_from_a_public_url(WithAPublicUrl api) : IClassFixture<WithAPublicUrl>
{
    [Fact]
    public async Task builds_every_link_from_the_public_url_whatever_the_host_header()
    {
        await api.SeedTwoEventsAsync("public-1");

        var pages = (await api.GetFrom("10.0.0.3", "/events?type=user&user_id=public-1&per_page=1",
            new Dictionary<string, string> { ["Host"] = "evil.example.com" })).Pages();

        pages["next"]!.GetValue<string>().ShouldStartWith("https://events.example.com/tracking/events?");
        pages["since"]!.GetValue<string>().ShouldStartWith("https://events.example.com/tracking/events?");
    }

    [Fact]
    public async Task follows_its_own_links()
    {
        await api.SeedTwoEventsAsync("public-2");
        var next = (await api.GetFrom("10.0.0.3", "/events?type=user&user_id=public-2&per_page=1", new Dictionary<string, string>())).Pages()["next"]!.GetValue<string>();

        var followed = await api.GetFrom("10.0.0.3", new Uri(next).PathAndQuery["/tracking".Length..], new Dictionary<string, string>());

        followed.Json["events"]!.AsArray().Single()!["created_at"]!.GetValue<long>().ShouldBe(1_700_000_000, "the older of the two events");
    }
}
