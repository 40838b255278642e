using System.Text.Json;
using EventStore.Domain.Tracking;

namespace EventStore.Domain.Tests;

public sealed class when_reading_metadata
{
    private static ParsedMetadata Parse(string json, int cap = 10)
    {
        using var document = JsonDocument.Parse(json);
        return Metadata.Parse(document.RootElement.Clone(), cap);
    }

    private static MetadataValue Single(string json) => Parse(json).Entries.Single().Value;

    [Fact]
    public void reads_the_six_types()
    {
        var parsed = Parse("""
            {"s":"desktop","n":3.67,"contact_date":1392036272,"l":"https://example.org/a","r":{"url":"http://example.org","value":"v"},"m":{"amount":34999,"currency":"eur"}}
            """);

        parsed.Entries.Select(e => e.Value).ShouldBe([
            new MetadataValue.Text("desktop"),
            new MetadataValue.Number(3.67m),
            new MetadataValue.Date(1392036272),
            new MetadataValue.Link("https://example.org/a"),
            new MetadataValue.RichLink("http://example.org", "v"),
            new MetadataValue.MonetaryAmount(34999, "eur"),
        ]);
    }

    [Fact]
    public void recognises_date_keys_case_insensitively() => Single("""{"Signup_DATE":1392036272}""").ShouldBeOfType<MetadataValue.Date>();

    [Fact]
    public void keeps_a_number_under_a_key_not_ending_in_date_as_a_number() => Single("""{"date_of":1392036272}""").ShouldBeOfType<MetadataValue.Number>();

    [Fact]
    public void counts_string_length_in_characters_not_utf16_units() =>
        Parse($$"""{"emoji":"{{string.Concat(Enumerable.Repeat("😀", 255))}}"}""").IsValid.ShouldBeTrue();

    [Fact]
    public void keeps_the_first_n_keys_and_lists_the_rest_as_ignored()
    {
        var parsed = Parse("""{"a":1,"b":2,"c":3,"d":4}""", cap: 2);

        parsed.Entries.Select(e => e.Key).ShouldBe(["a", "b"]);
        parsed.IgnoredKeys.ShouldBe(["c", "d"]);
    }

    [Fact]
    public void does_not_validate_keys_it_ignores() => Parse("""{"a":1,"b":[1]}""", cap: 1).IsValid.ShouldBeTrue();

    [Fact]
    public void skips_null_values() => Parse("""{"a":null,"b":1}""").Entries.Select(e => e.Key).ShouldBe(["b"]);

    [Theory]
    [InlineData("""{"a":{"amount":0,"currency":"eur"}}""", "metadata.a.amount")]
    [InlineData("""{"a":{"amount":10,"currency":"euro"}}""", "metadata.a.currency")]
    [InlineData("""{"a":{"url":"https://example.org"}}""", "metadata.a")]
    [InlineData("""{"a":{"url":"https://example.org","value":5}}""", "metadata.a.value")]
    [InlineData("""{"a~":"x"}""", "metadata.a~")]
    [InlineData("""{"":"x"}""", "metadata.")]
    [InlineData("""{"a":1e40}""", "metadata.a")]
    public void refuses_what_breaks_a_rule_naming_the_key(string json, string field) =>
        Parse(json).Rejections.Single().Field.ShouldBe(field);

    [Fact]
    public void accepts_currency_codes_in_any_case()
    {
        CurrencyCodes.IsIso4217("eur").ShouldBeTrue();
        CurrencyCodes.IsIso4217("USD").ShouldBeTrue();
        CurrencyCodes.IsIso4217("ABC").ShouldBeFalse();
    }

    [Fact]
    public void round_trips_through_json_with_its_type()
    {
        MetadataValue value = new MetadataValue.MonetaryAmount(100, "USD");
        var json = JsonSerializer.Serialize(value);

        JsonSerializer.Deserialize<MetadataValue>(json).ShouldBe(value);
        json.ShouldContain("\"type\":\"monetary_amount\"");
    }
}
