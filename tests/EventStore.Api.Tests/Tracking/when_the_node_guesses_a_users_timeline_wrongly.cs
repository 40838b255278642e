using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tracking;
using EventStore.Domain.Timelines;
using Microsoft.Extensions.DependencyInjection;

namespace EventStore.Api.Tests.Tracking;

/// <summary>
/// A node guesses where its users' timelines are, to lock them and read their keys with the users in one round trip
/// (KnownTimelineIds). The guess can be out of date (an identity moved on another node, a user erased): the users read
/// under the locks decide, never the guess. The wrong guesses below are planted as another node's writes would leave them.
/// </summary>
public sealed class when_the_node_guesses_a_users_timeline_wrongly(ApiFixture api) : IClassFixture<ApiFixture>
{
    private KnownTimelineIds Guesses => api.Host.Services.GetRequiredService<KnownTimelineIds>();

    private async Task<UserTimeline> TimelineOf(string userId) => (await api.TimelinesIn("acme")).Single(t => t.UserId == userId);

    [Fact]
    public async Task puts_the_event_on_the_timeline_the_email_belongs_to_now()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "guess-1", email = "guess-1@example.org" });
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "guess-2", email = "guess-2@example.org" });
        var other = await TimelineOf("guess-1");
        var owner = await TimelineOf("guess-2");
        Guesses.Learn("acme", new UserReference(null, null, "guess-2@example.org"), null, other);

        await api.Host.TrackAccepted(new { event_name = "by-email", created_at = Scenarios.Now, email = "guess-2@example.org" });

        var tracked = (await api.TrackedIn("acme")).Where(e => e.Name == "by-email").ToList();
        tracked.Count.ShouldBe(1, "stored once, whatever the guess");
        tracked[0].TimelineId.ShouldBe(owner.Id, "the email's owner as stored decides, not the node's guess");
    }

    [Fact]
    public async Task starts_a_timeline_for_a_user_the_guess_placed_on_someone_else()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "guess-3" });
        var other = await TimelineOf("guess-3");
        Guesses.Learn("acme", new UserReference(null, "guess-4", null), other, null);

        await api.Host.TrackAccepted(new { event_name = "first", created_at = Scenarios.Now, user_id = "guess-4" });

        var started = await TimelineOf("guess-4");
        started.Id.ShouldNotBe(other.Id, "a user the database does not know gets a timeline of its own");
        (await api.TrackedIn("acme")).Where(e => e.TimelineId == other.Id).Select(e => e.Name).ShouldBe(["a"], "the guessed timeline got nothing");
    }

    [Fact]
    public async Task refuses_a_duplicate_on_the_right_timeline_after_a_wrong_guess()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "guess-5" });
        await api.Host.TrackAccepted(new { event_name = "twice", created_at = Scenarios.Now, user_id = "guess-6", email = "guess-6@example.org" });
        Guesses.Learn("acme", new UserReference(null, null, "guess-6@example.org"), null, await TimelineOf("guess-5"));

        await api.Host.TrackAccepted(new { event_name = "twice", created_at = Scenarios.Now, email = "guess-6@example.org" });

        (await api.TrackedIn("acme")).Count(e => e.Name == "twice").ShouldBe(1, "the second send is a duplicate of the first, found on the owner's timeline");
    }
}
