using EventStore.Domain.EventNames;
using EventStore.Domain.Tracking;

namespace EventStore.Domain.Tests;

public sealed class when_admitting_event_names
{
    private static EventName Name(string raw)
    {
        EventName.TryParse(raw, "event_name", out var name, out _);
        return name;
    }

    private static EventNameCatalog With(params string[] names) =>
        names.Aggregate(new EventNameCatalog(), (catalog, n) => catalog.Apply(new EventNameActivated("acme", n)));

    [Fact]
    public void activates_a_new_name_while_slots_are_free() =>
        With("a").Admit("acme", Name("b"), 2).Value.ShouldBe(new EventNameActivated("acme", "b"));

    [Fact]
    public void lets_a_known_name_through_without_a_new_slot() =>
        With("a", "b").Admit("acme", Name("A"), 2).Value.ShouldBeNull();

    [Fact]
    public void refuses_a_new_name_beyond_the_cap_with_intercoms_message()
    {
        var rejection = With("a", "b").Admit("acme", Name("c"), 2).Rejection!;

        rejection.Kind.ShouldBe(RejectionKind.Unprocessable);
        rejection.Message.ShouldBe("Cannot have more than 2 active event names");
    }
}
