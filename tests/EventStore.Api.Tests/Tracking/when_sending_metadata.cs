using System.Net;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Tracking;

namespace EventStore.Api.Tests.Tracking;

public sealed class when_sending_metadata(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task<IReadOnlyList<MetadataEntry>> Track(string userId, string metadataJson)
    {
        var response = await api.Host.Send(HttpMethod.Post, "/events",
            $$"""{"event_name":"with-metadata","created_at":{{Scenarios.Now}},"user_id":"{{userId}}","metadata":{{metadataJson}} }""");
        response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
        return (await api.TrackedIn("acme")).Single(e => e.UserId == userId).Metadata;
    }

    [Fact]
    public async Task keeps_a_string_as_a_string()
    {
        (await Track("m-string", """{"source":"desktop"}""")).ShouldBe([new MetadataEntry("source", new MetadataValue.Text("desktop"))]);
    }

    [Fact]
    public async Task keeps_a_number_as_sent()
    {
        (await Track("m-number", """{"load":3.670}""")).Single().Value.ShouldBe(new MetadataValue.Number(3.670m));
    }

    [Fact]
    public async Task keeps_a_key_ending_in_date_as_an_integer_date()
    {
        (await Track("m-date", """{"contact_date":1392036272}""")).Single().Value.ShouldBe(new MetadataValue.Date(1392036272));
    }

    [Fact]
    public async Task recognises_an_http_url_as_a_link()
    {
        (await Track("m-link", """{"article":"https://example.org/ab1de.html"}""")).Single().Value
            .ShouldBe(new MetadataValue.Link("https://example.org/ab1de.html"));
    }

    [Fact]
    public async Task keeps_a_non_web_url_as_plain_text()
    {
        (await Track("m-js", """{"article":"javascript:alert(1)"}""")).Single().Value.ShouldBe(new MetadataValue.Text("javascript:alert(1)"));
    }

    [Fact]
    public async Task keeps_a_rich_link_as_an_object()
    {
        (await Track("m-rich", """{"article":{"url":"https://example.org/ab1de.html","value":"the dude abides"}}""")).Single().Value
            .ShouldBe(new MetadataValue.RichLink("https://example.org/ab1de.html", "the dude abides"));
    }

    [Fact]
    public async Task keeps_a_monetary_amount_as_an_object_with_its_currency_as_sent()
    {
        (await Track("m-money", """{"price":{"amount":34999,"currency":"eur"}}""")).Single().Value
            .ShouldBe(new MetadataValue.MonetaryAmount(34999, "eur"));
    }

    [Fact]
    public async Task stores_the_type_with_the_value_in_postgresql()
    {
        await Track("m-stored", """{"price":{"amount":100,"currency":"USD"},"signup_date":1700000000}""");

        var json = (await api.StoredBodiesOf("acme", "m-stored")).Single();
        json.ShouldContain("\"monetary_amount\"");
        json.ShouldContain("\"date\"");
    }

    [Fact]
    public async Task keeps_the_first_ten_keys_in_sent_order_and_names_the_ignored_ones()
    {
        var metadata = "{" + string.Join(",", Enumerable.Range(1, 12).Select(i => $"\"k{i:00}\":{i}")) + "}";
        var response = await api.Host.Send(HttpMethod.Post, "/events",
            $$"""{"event_name":"many-keys","created_at":{{Scenarios.Now}},"user_id":"m-cap","metadata":{{metadata}}}""");

        response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
        response.Headers["X-Metadata-Keys-Ignored"].ShouldBe("k11,k12");
        var stored = (await api.TrackedIn("acme")).Single(e => e.UserId == "m-cap").Metadata;
        stored.Select(m => m.Key).ShouldBe(Enumerable.Range(1, 10).Select(i => $"k{i:00}"));
    }

    [Fact]
    public async Task treats_keys_differing_only_in_case_as_one_key_and_keeps_the_first()
    {
        (await Track("m-case", """{"Source":"first","source":"second"}""")).ShouldBe([new MetadataEntry("Source", new MetadataValue.Text("first"))]);
    }

    [Fact]
    public async Task refuses_duplicate_json_keys()
    {
        var response = await api.Host.Send(HttpMethod.Post, "/events",
            $$"""{"event_name":"dup-keys","created_at":{{Scenarios.Now}},"user_id":"m-dupkey","metadata":{"a":1,"a":2} }""");

        response.ShouldBeError(HttpStatusCode.BadRequest, "bad_request");
    }
}
