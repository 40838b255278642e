using System.Net;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;

namespace EventStore.Api.Tests.Tracking;

public sealed class when_tracking_an_event_for_a_new_user(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task answers_202_with_an_empty_body()
    {
        var response = await api.Host.PostEvent(Scenarios.Event(userId: "new-user-1"));

        response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
        response.Body.ShouldBeEmpty();
    }

    [Fact]
    public async Task records_it_once_in_the_event_store_before_answering()
    {
        await api.Host.PostEvent(Scenarios.Event(name: "signed-up", userId: "new-user-2", createdAt: 1_700_000_000));

        var tracked = (await api.TrackedIn("acme")).Where(e => e.UserId == "new-user-2").ToList();
        tracked.Count.ShouldBe(1, "one accepted event is one stored event");
        tracked[0].Name.ShouldBe("signed-up");
        tracked[0].CreatedAt.ShouldBe(1_700_000_000);
        tracked[0].Workspace.ShouldBe("acme");
    }

    [Fact]
    public async Task starts_the_users_timeline_with_a_service_assigned_id()
    {
        await api.Host.PostEvent(Scenarios.Event(userId: "new-user-3"));

        var events = await api.EventsIn("acme");
        var started = events.Select(e => e.Data).OfType<UserTimelineStarted>().Single(e => e.UserId == "new-user-3");
        started.TimelineId.ShouldMatch("^[0-9a-f]{24}$", "service ids look like Intercom's contact ids");
        events.Where(e => e.StreamKey == started.TimelineId).Select(e => e.Data.GetType()).ShouldBe([typeof(UserTimelineStarted), typeof(EventTracked)]);
    }

    [Fact]
    public async Task keeps_later_events_of_that_user_on_the_same_timeline()
    {
        await api.Host.PostEvent(Scenarios.Event(name: "first", userId: "new-user-4"));
        await api.Host.PostEvent(Scenarios.Event(name: "second", userId: "new-user-4"));

        var timelines = (await api.TrackedIn("acme")).Where(e => e.UserId == "new-user-4").Select(e => e.TimelineId).Distinct();
        timelines.Count().ShouldBe(1);
    }

    [Fact]
    public async Task keeps_every_concurrent_first_event_of_one_new_user_on_one_timeline()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            api.Host.PostEvent(Scenarios.Event(name: $"burst-{i % 4}", userId: "new-user-5", createdAt: Scenarios.Now - i))));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted);
        var tracked = (await api.TrackedIn("acme")).Where(e => e.UserId == "new-user-5").ToList();
        tracked.Count.ShouldBe(20, "every 202 is a stored event");
        tracked.Select(e => e.TimelineId).Distinct().Count().ShouldBe(1, "racing first events must not split the user into two timelines");
    }
}
