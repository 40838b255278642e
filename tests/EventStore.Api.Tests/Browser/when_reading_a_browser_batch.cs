using System.Text.Json;
using EventStore.Api.Browser;

namespace EventStore.Api.Tests.Browser;

/// <summary>The batch-level rules of the browser endpoint; each event's own rules are POST /events' (TrackEventRequest).</summary>
public sealed class when_reading_a_browser_batch
{
    private static BrowserBatch Read(string json, int maxEvents = 3)
    {
        using var document = JsonDocument.Parse(json);
        return BrowserBatchRequest.Parse(document.RootElement.Clone(), maxEvents);
    }

    [Fact]
    public void names_the_user_by_user_id_and_signs_the_user_id()
    {
        var batch = Read("""{"user_id":314159,"email":"pi@example.org","user_hash":"ab","events":[{"event_name":"a"}]}""");

        batch.Rejections.ShouldBeEmpty();
        batch.User!.Reference.UserId.ShouldBe("314159", "an integer user_id has one obvious string form");
        batch.User.Reference.Email.ShouldBeNull("the hash signs the user_id only: an email beside it is not verified, so it is not used");
        batch.User.SignedIdentifier.ShouldBe("314159");
        batch.User.UserHash.ShouldBe("ab");
    }

    [Fact]
    public void names_the_user_by_email_when_there_is_no_user_id()
    {
        var batch = Read("""{"email":"pi@example.org","events":[{"event_name":"a"}]}""");

        batch.User!.Reference.Email.ShouldBe("pi@example.org");
        batch.User.SignedIdentifier.ShouldBe("pi@example.org");
    }

    [Theory]
    [InlineData("""{"events":[{"event_name":"a"}]}""", "parameter_not_found", "user_id")]
    [InlineData("""{"user_id":"","events":[{"event_name":"a"}]}""", "parameter_invalid", "user_id")]
    [InlineData("""{"email":"not-an-email","events":[{"event_name":"a"}]}""", "parameter_invalid", "email")]
    [InlineData("""{"user_id":"u","user_hash":12,"events":[{"event_name":"a"}]}""", "type_mismatch", "user_hash")]
    [InlineData("""{"user_id":"u"}""", "parameter_not_found", "events")]
    [InlineData("""{"user_id":"u","events":{"event_name":"a"}}""", "type_mismatch", "events")]
    [InlineData("""{"user_id":"u","events":[]}""", "parameter_invalid", "events")]
    [InlineData("""{"user_id":"u","events":[{},{},{},{}]}""", "parameter_invalid", "events")]
    [InlineData("""[{"user_id":"u"}]""", "type_mismatch", "body")]
    public void refuses_a_batch_that_breaks_a_rule_naming_the_field(string json, string code, string field)
    {
        var batch = Read(json);

        batch.User.ShouldBeNull();
        batch.Rejections.ShouldContain(r => r.Code == code && r.Field == field, $"{json} => {string.Join("; ", batch.Rejections)}");
    }
}
