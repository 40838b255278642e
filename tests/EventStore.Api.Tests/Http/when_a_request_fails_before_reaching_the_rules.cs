using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Http;

/// <summary>Failures the framework produces still answer in Intercom's error.list shape.</summary>
public sealed class when_a_request_fails_before_reaching_the_rules(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string Valid = $$"""{"event_name":"x","created_at":{{Scenarios.Now}},"user_id":"u"}""";

    [Fact]
    public async Task answers_401_without_a_token() =>
        (await api.Host.Send(HttpMethod.Post, "/events", Valid, token: null)).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");

    [Fact]
    public async Task answers_401_for_an_unknown_token() =>
        (await api.Host.Send(HttpMethod.Post, "/events", Valid, token: "not-a-token")).ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");

    [Fact]
    public async Task answers_401_for_a_token_that_is_not_a_bearer_token() =>
        (await api.Host.Send(HttpMethod.Post, "/events", Valid, token: null, headers: new Dictionary<string, string> { ["Authorization"] = $"Basic {ApiFixture.AcmeToken}" }))
            .ShouldBeError(HttpStatusCode.Unauthorized, "unauthorized");

    [Fact]
    public async Task answers_403_to_an_operator_token_on_a_workspace_endpoint() =>
        (await api.Host.Send(HttpMethod.Post, "/events", Valid, token: ApiFixture.AdminToken)).ShouldBeError(HttpStatusCode.Forbidden, "forbidden");

    [Fact]
    public async Task answers_404_for_an_unknown_route() =>
        (await api.Host.Send(HttpMethod.Get, "/no-such-thing")).ShouldBeError(HttpStatusCode.NotFound, "not_found");

    [Fact]
    public async Task answers_405_for_a_wrong_method() =>
        (await api.Host.Send(HttpMethod.Delete, "/events")).ShouldBeError(HttpStatusCode.MethodNotAllowed, "method_not_allowed");

    [Fact]
    public async Task answers_415_for_a_body_that_is_not_json() =>
        (await api.Host.Send(HttpMethod.Post, "/events", "event_name=x", contentType: "application/x-www-form-urlencoded"))
            .ShouldBeError(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

    [Fact]
    public async Task answers_413_for_a_body_over_one_mebibyte()
    {
        var huge = $$"""{"event_name":"x","created_at":{{Scenarios.Now}},"user_id":"u","padding":"{{new string('p', 1024 * 1024)}}"}""";

        (await api.Host.Send(HttpMethod.Post, "/events", huge)).ShouldBeError(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task answers_400_for_malformed_json() =>
        (await api.Host.Send(HttpMethod.Post, "/events", """{"event_name": "x",""")).ShouldBeError(HttpStatusCode.BadRequest, "bad_request");

    [Fact]
    public async Task answers_400_for_json_nested_deeper_than_allowed() =>
        (await api.Host.Send(HttpMethod.Post, "/events", new string('[', 100) + new string(']', 100))).ShouldBeError(HttpStatusCode.BadRequest, "bad_request");

    [Fact]
    public async Task answers_400_for_an_empty_body() =>
        (await api.Host.Send(HttpMethod.Post, "/events", "")).ShouldBeError(HttpStatusCode.BadRequest, "bad_request");

    [Fact]
    public async Task answers_400_for_an_unknown_intercom_version() =>
        (await api.Host.Send(HttpMethod.Post, "/events", Valid, headers: new Dictionary<string, string> { ["Intercom-Version"] = "9.9" }))
            .ShouldBeError(HttpStatusCode.BadRequest, "intercom_version_invalid");

    [Theory]
    [InlineData("2.14")]
    [InlineData("2.0")]
    [InlineData("1.4")]
    [InlineData("Unstable")]
    public async Task accepts_intercom_versions_clients_send(string version) =>
        (await api.Host.Send(HttpMethod.Post, "/events", Valid, headers: new Dictionary<string, string> { ["Intercom-Version"] = version }))
            .Status.ShouldBe(HttpStatusCode.Accepted);

    [Fact]
    public async Task returns_the_request_id_of_an_error_in_a_header_too()
    {
        var response = await api.Host.Send(HttpMethod.Get, "/no-such-thing");

        response.Headers["X-Request-Id"].ShouldBe(response.Json["request_id"]!.GetValue<string>());
    }
}
