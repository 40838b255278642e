using EventStore.Domain.Tracking;

namespace EventStore.Domain.Tests;

public sealed class when_normalizing_event_names
{
    [Theory]
    [InlineData("Completed.Order", "completed-order")]
    [InlineData("completed$order", "completed-order")]
    [InlineData("  Invited-Friend  ", "invited-friend")]
    [InlineData("invited friend", "invited friend")]
    public void reads_case_dots_and_dollars_as_intercom_does(string raw, string normalized)
    {
        EventName.TryParse(raw, "event_name", out var name, out _).ShouldBeTrue();
        name.Value.ShouldBe(normalized);
    }

    [Fact]
    public void keeps_a_space_apart_from_a_dash() =>
        EventName.Normalize("invited friend").ShouldNotBe(EventName.Normalize("invited-friend"));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("tab\there")]
    public void refuses_empty_names_and_control_characters(string raw)
    {
        EventName.TryParse(raw, "event_name", out _, out var rejection).ShouldBeFalse();
        rejection!.Field.ShouldBe("event_name");
    }

    [Fact]
    public void allows_255_characters_after_trimming_and_no_more()
    {
        EventName.TryParse("  " + new string('a', 255) + "  ", "event_name", out _, out _).ShouldBeTrue();
        EventName.TryParse(new string('a', 256), "event_name", out _, out _).ShouldBeFalse();
    }

    [Fact]
    public void reports_a_missing_name_as_not_found()
    {
        EventName.TryParse(null, "event_name", out _, out var rejection).ShouldBeFalse();
        rejection!.Code.ShouldBe("parameter_not_found");
    }
}
