using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;

namespace EventStore.Domain.Tests;

public sealed class when_resolving_who_an_event_is_about
{
    private static readonly UserTimeline Ada = new() { Id = "t-ada", UserId = "ada", Email = "ada@example.org", EmailKey = "ada@example.org" };
    private static readonly UserTimeline Lead = new() { Id = "t-lead", Email = "lead@example.org", EmailKey = "lead@example.org" };

    private static Result<ResolvedTimeline> Resolve(UserReference who, UserTimeline? byId = null, UserTimeline? byUserId = null, UserTimeline? byEmail = null) =>
        UserTimeline.Resolve("acme", who, new KnownTimelines(byId, byUserId, byEmail), () => "t-new");

    [Fact]
    public void starts_a_timeline_for_a_user_nobody_has_seen()
    {
        var resolved = Resolve(new UserReference(null, "grace", "grace@example.org")).Value!;

        resolved.IsNew.ShouldBeTrue();
        resolved.IdentityEvents.ShouldBe([new UserTimelineStarted("acme", "t-new", "grace", "grace@example.org")]);
        resolved.Timeline.EmailKey.ShouldBe("grace@example.org");
    }

    [Fact]
    public void finds_a_known_user_without_new_events() =>
        Resolve(new UserReference(null, "ada", null), byUserId: Ada).Value!.IdentityEvents.ShouldBeEmpty();

    [Fact]
    public void answers_not_found_for_an_unknown_service_id() =>
        Resolve(new UserReference("nope", null, null)).Rejection!.Kind.ShouldBe(RejectionKind.NotFound);

    [Fact]
    public void refuses_an_email_owned_by_another_user_id()
    {
        var rejection = Resolve(new UserReference(null, "bob", "ada@example.org"), byEmail: Ada).Rejection!;

        rejection.Kind.ShouldBe(RejectionKind.Conflict);
        rejection.Field.ShouldBe("email");
    }

    [Fact]
    public void gives_a_lead_known_by_email_the_user_id_sent_with_it()
    {
        var resolved = Resolve(new UserReference(null, "lee", "LEAD@example.org"), byEmail: Lead).Value!;

        resolved.Timeline.Id.ShouldBe("t-lead");
        resolved.IdentityEvents.ShouldBe([new UserIdAttached("acme", "t-lead", "lee")]);
    }

    [Fact]
    public void replaces_a_users_email_with_a_new_one()
    {
        var resolved = Resolve(new UserReference(null, "ada", "ada@new.example.org"), byUserId: Ada).Value!;

        resolved.IdentityEvents.ShouldBe([new EmailAttached("acme", "t-ada", "ada@new.example.org", "ada@example.org")]);
        resolved.Timeline.EmailKey.ShouldBe("ada@new.example.org");
    }

    [Fact]
    public void never_changes_a_user_id_once_set() =>
        Resolve(new UserReference("t-ada", "someone-else", null), byId: Ada).Rejection!.Kind.ShouldBe(RejectionKind.Conflict);

    [Fact]
    public void refuses_a_service_id_and_user_id_naming_different_users() =>
        Resolve(new UserReference("t-lead", "ada", null), byId: Lead, byUserId: Ada).Rejection!.Field.ShouldBe("user_id");
}

public sealed class when_tracking_on_a_timeline
{
    private static readonly UserTimeline Ada = new() { Id = "t-ada", UserId = "ada", Email = "ada@example.org", EmailKey = "ada@example.org" };

    private static Occurrence Signup()
    {
        EventName.TryParse("Signed.Up", "event_name", out var name, out _);
        return new Occurrence(name, "Signed.Up", 1_700_000_000, []);
    }

    [Fact]
    public void records_an_event_carrying_everything_the_read_side_needs()
    {
        var tracked = Ada.Track("acme", Signup(), alreadyRecorded: false).Tracked!;

        var expected = new EventTracked("acme", "t-ada", "signed-up", "Signed.Up", 1_700_000_000, [], "ada", "ada@example.org");
        (tracked with { Metadata = expected.Metadata }).ShouldBe(expected);
        tracked.Metadata.ShouldBeEmpty();
    }

    [Fact]
    public void ignores_a_repeat() => Ada.Track("acme", Signup(), alreadyRecorded: true).IsDuplicate.ShouldBeTrue();

    [Fact]
    public void keys_de_duplication_on_user_name_and_time() => Signup().KeyFor("t-ada").ShouldBe("t-ada|signed-up|1700000000");
}
