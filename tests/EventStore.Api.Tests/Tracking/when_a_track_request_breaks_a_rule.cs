using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

/// <summary>Every validation rule of POST /events: a 400 in error.list form naming the field, and nothing stored.</summary>
public sealed class when_a_track_request_breaks_a_rule(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly long Now = Scenarios.Now;

    public static TheoryData<string, string, string, string> InvalidBodies => new()
    {
        // description, JSON body, expected code, expected field
        { "missing event_name", $$"""{"created_at":{{Now}},"user_id":"u"}""", "parameter_not_found", "event_name" },
        { "event_name not a string", $$"""{"event_name":42,"created_at":{{Now}},"user_id":"u"}""", "type_mismatch", "event_name" },
        { "blank event_name", $$"""{"event_name":"   ","created_at":{{Now}},"user_id":"u"}""", "parameter_invalid", "event_name" },
        { "event_name over 255", $$"""{"event_name":"{{new string('a', 256)}}","created_at":{{Now}},"user_id":"u"}""", "parameter_invalid", "event_name" },
        { "event_name with NUL", $$"""{"event_name":"a\u0000b","created_at":{{Now}},"user_id":"u"}""", "parameter_invalid", "event_name" },
        { "missing created_at", """{"event_name":"x","user_id":"u"}""", "parameter_not_found", "created_at" },
        { "created_at as string", """{"event_name":"x","created_at":"1700000000","user_id":"u"}""", "type_mismatch", "created_at" },
        { "created_at fractional", """{"event_name":"x","created_at":1700000000.5,"user_id":"u"}""", "parameter_invalid", "created_at" },
        { "created_at zero", """{"event_name":"x","created_at":0,"user_id":"u"}""", "parameter_invalid", "created_at" },
        { "created_at negative", """{"event_name":"x","created_at":-5,"user_id":"u"}""", "parameter_invalid", "created_at" },
        { "created_at in milliseconds", $$"""{"event_name":"x","created_at":{{Now * 1000}},"user_id":"u"}""", "parameter_invalid", "created_at" },
        { "created_at two days ahead", $$"""{"event_name":"x","created_at":{{Now + (2 * 86400)}},"user_id":"u"}""", "parameter_invalid", "created_at" },
        { "created_at huge", """{"event_name":"x","created_at":1e300,"user_id":"u"}""", "parameter_invalid", "created_at" },
        { "no identifier", $$"""{"event_name":"x","created_at":{{Now}} }""", "parameter_not_found", "user_id" },
        { "user_id an object", $$"""{"event_name":"x","created_at":{{Now}},"user_id":{"a":1} }""", "type_mismatch", "user_id" },
        { "blank user_id", $$"""{"event_name":"x","created_at":{{Now}},"user_id":""}""", "parameter_invalid", "user_id" },
        { "user_id over 255", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"{{new string('u', 256)}}"}""", "parameter_invalid", "user_id" },
        { "email without @", $$"""{"event_name":"x","created_at":{{Now}},"email":"not-an-email"}""", "parameter_invalid", "email" },
        { "id a number", $$"""{"event_name":"x","created_at":{{Now}},"id":12}""", "type_mismatch", "id" },
        { "metadata an array", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":[1]}""", "type_mismatch", "metadata" },
        { "metadata nested object", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a":{"b":1} } }""", "type_mismatch", "metadata.a" },
        { "metadata array value", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a":[1,2]} }""", "type_mismatch", "metadata.a" },
        { "metadata boolean", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a":true} }""", "type_mismatch", "metadata.a" },
        { "metadata string over 255", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a":"{{new string('s', 256)}}"} }""", "parameter_invalid", "metadata.a" },
        { "metadata key with a dot", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a.b":"v"} }""", "parameter_invalid", "metadata.a.b" },
        { "metadata key with a dollar", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"$a":"v"} }""", "parameter_invalid", "metadata.$a" },
        { "metadata key with a quote", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a\"b":"v"} }""", "parameter_invalid", "metadata.a\"b" },
        { "metadata key with NUL", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a\u0000":"v"} }""", "parameter_invalid", "metadata.a\u0000" },
        { "date that is a string", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"contact_date":"2024-01-01"} }""", "type_mismatch", "metadata.contact_date" },
        { "date in milliseconds", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"contact_date":1392036272000} }""", "parameter_invalid", "metadata.contact_date" },
        { "rich link with ftp url", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a":{"url":"ftp://example.org/x","value":"v"} } }""", "parameter_invalid", "metadata.a.url" },
        { "rich link with extra key", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"a":{"url":"https://example.org","value":"v","x":1} } }""", "type_mismatch", "metadata.a" },
        { "money with negative amount", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"price":{"amount":-1,"currency":"eur"} } }""", "parameter_invalid", "metadata.price.amount" },
        { "money with fractional amount", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"price":{"amount":1.5,"currency":"eur"} } }""", "parameter_invalid", "metadata.price.amount" },
        { "money with unknown currency", $$"""{"event_name":"x","created_at":{{Now}},"user_id":"u","metadata":{"price":{"amount":100,"currency":"ABC"} } }""", "parameter_invalid", "metadata.price.currency" },
        { "body is an array", """[{"event_name":"x"}]""", "type_mismatch", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task answers_400_naming_the_field(string description, string body, string code, string field)
    {
        var response = await api.Host.Send(HttpMethod.Post, "/events", body);

        response.Status.ShouldBe(HttpStatusCode.BadRequest, $"{description}: {response.Body}");
        response.Errors().ShouldContain(e => e.Code == code && e.Field == field, $"{description}: {response.Body}");
    }

    [Fact]
    public async Task stores_nothing_from_any_invalid_request()
    {
        foreach (var (_, body, _, _) in InvalidBodies.Select(row => ((string, string, string, string))row.Data))
        {
            await api.Host.Send(HttpMethod.Post, "/events", body);
        }

        (await api.EventsIn("acme")).ShouldBeEmpty("a rejected request must leave no trace");
    }

    [Fact]
    public async Task reports_every_broken_rule_at_once()
    {
        var response = await api.Host.Send(HttpMethod.Post, "/events", """{"event_name":"","created_at":"soon"}""");

        response.Errors().Select(e => e.Field).ShouldBe(["event_name", "created_at", "user_id"], ignoreOrder: true);
    }

    [Fact]
    public async Task explains_that_a_millisecond_timestamp_is_in_milliseconds()
    {
        var response = await api.Host.PostEvent(Scenarios.Event(createdAt: Now * 1000));

        response.Errors().Single().Message.ShouldContain("milliseconds");
    }
}
