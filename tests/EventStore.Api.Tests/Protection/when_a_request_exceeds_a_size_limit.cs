using System.Net;
using EventStore.Api.Protection;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Protection;

/// <summary>
/// Limits checked before authentication, answered in error.list form. Kestrel's own limits (set above these
/// as a backstop) are not exercised: Alba's in-memory TestServer does not enforce them.
/// </summary>
public sealed class when_a_request_exceeds_a_size_limit(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task answers_414_for_a_url_longer_than_the_limit() =>
        (await api.Host.Get($"/segments?starting_after={new string('a', RequestLimits.MaxUrlLength)}"))
            .ShouldBeError(HttpStatusCode.RequestUriTooLong, "parameter_invalid");

    [Fact]
    public async Task serves_a_url_just_under_the_limit()
    {
        // The limit holds for every request; the probe takes any query (an endpoint with parameters refuses unknown ones).
        var response = await api.Host.Get($"/health/live?zzz={new string('a', RequestLimits.MaxUrlLength - "/health/live?zzz=".Length)}");

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
    }

    [Fact]
    public async Task answers_400_for_too_many_query_parameters() =>
        (await api.Host.Get("/segments?" + string.Join('&', Enumerable.Range(0, RequestLimits.MaxQueryParameters + 1).Select(i => $"p{i}=1"))))
            .ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid");

    [Fact]
    public async Task counts_a_repeated_query_parameter_each_time() =>
        (await api.Host.Get("/segments?" + string.Join('&', Enumerable.Repeat("per_page=1", RequestLimits.MaxQueryParameters + 1))))
            .ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid");

    [Fact]
    public async Task answers_431_for_headers_larger_than_the_limit() =>
        (await api.Host.Send(HttpMethod.Get, "/segments", headers: new Dictionary<string, string> { ["X-Padding"] = new string('h', RequestLimits.MaxHeaderBytes) }))
            .ShouldBeError(HttpStatusCode.RequestHeaderFieldsTooLarge, "request_too_large");

    [Fact]
    public async Task answers_431_for_more_header_fields_than_the_limit() =>
        (await api.Host.Send(HttpMethod.Get, "/segments", headers: Enumerable.Range(0, RequestLimits.MaxHeaderCount + 1).ToDictionary(i => $"X-H{i}", _ => "v")))
            .ShouldBeError(HttpStatusCode.RequestHeaderFieldsTooLarge, "request_too_large");

    [Fact]
    public async Task answers_400_for_a_query_parameter_holding_nul() =>
        (await api.Host.Get("/events?type=user&user_id=a%00b")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "user_id");

    [Theory]
    [InlineData("""{"event_name":"x","created_at":1700000000,"user_id":"a\udc00b"}""", "user_id")]
    [InlineData("""{"event_name":"x","created_at":1700000000,"user_id":"u","metadata":{"note":"\ud800"}}""", "metadata.note")]
    public async Task answers_400_for_json_strings_that_are_not_unicode_text(string body, string path)
    {
        var response = await api.Host.Send(HttpMethod.Post, "/events", body);

        response.ShouldBeError(HttpStatusCode.BadRequest, "bad_request");
        response.Errors().Single().Message.ShouldContain(path, Case.Sensitive, "the message names the offending string");
    }

    [Fact]
    public async Task answers_400_for_a_lone_surrogate_in_a_key() =>
        (await api.Host.Send(HttpMethod.Post, "/events", """{"event_name":"x","created_at":1700000000,"user_id":"u","\ud800":1}"""))
            .ShouldBeError(HttpStatusCode.BadRequest, "bad_request");

    [Fact]
    public async Task answers_400_for_invalid_utf8_inside_a_string()
    {
        var client = api.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events");
        byte[] body = [.. """{"event_name":"x","created_at":1700000000,"user_id":"u"""u8, 0xC0, 0xAF, .. "\"}"u8];
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {ApiFixture.AcmeToken}");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        new Response(response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), new Dictionary<string, string>())
            .ShouldBeError(HttpStatusCode.BadRequest, "bad_request");
    }
}
