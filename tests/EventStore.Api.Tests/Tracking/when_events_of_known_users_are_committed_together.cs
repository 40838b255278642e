using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;
using Marten;

namespace EventStore.Api.Tests.Tracking;

/// <summary>
/// Events for users who already have a timeline are appended with one set-based statement per group commit, not
/// through Marten's append function; the streams must come out exactly as Marten would have written them.
/// </summary>
public sealed class when_events_of_known_users_are_committed_together(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string[] Users = ["known-1", "known-2", "known-3", "known-4"];

    [Fact]
    public async Task every_stream_keeps_gapless_versions_in_arrival_order()
    {
        await SeedAndBurstAsync("versions");

        var events = await api.EventsIn("acme");
        foreach (var stream in events.Where(e => e.Data is EventTracked { Name: var n } && n.StartsWith("versions")).Select(e => e.StreamKey).Distinct())
        {
            var inStream = events.Where(e => e.StreamKey == stream).ToList();
            inStream.Select(e => e.Version).ShouldBe(Enumerable.Range(1, inStream.Count).Select(v => (long)v),
                $"stream {stream}: versions 1..n in the order the store sequenced them");
            await using var session = api.Store.QuerySession("acme");
            var state = await session.Events.FetchStreamStateAsync(stream!, TestContext.Current.CancellationToken);
            state!.Version.ShouldBe(inStream.Count, $"stream {stream}: the stream's version is its last event's");
        }
    }

    [Fact]
    public async Task marten_reads_them_back_with_their_data()
    {
        await SeedAndBurstAsync("readback");

        await using var session = api.Store.QuerySession("acme");
        var stream = (await api.TrackedIn("acme")).First(e => e.UserId == Users[0] && e.Name.StartsWith("readback")).TimelineId;
        var events = await session.Events.FetchStreamAsync(stream, token: TestContext.Current.CancellationToken);
        var burst = events.Where(e => e.Data is EventTracked { Name: var n } && n.StartsWith("readback-burst")).ToList();

        burst.Count.ShouldBe(10, "ten events of the burst went to this user");
        burst.ShouldAllBe(e => e.TenantId == "acme" && e.Id != Guid.Empty && e.EventTypeName == "event_tracked");
        var tracked = burst.Select(e => (EventTracked)e.Data).ToList();
        tracked.ShouldAllBe(e => e.TimelineId == stream && e.UserId == Users[0] && e.Workspace == "acme");
        tracked.Select(e => e.Metadata.Single().Key).ShouldAllBe(k => k == "plan", "metadata is stored with the event");
    }

    [Fact]
    public async Task their_timelines_and_summaries_count_each_event_once()
    {
        await SeedAndBurstAsync("projected");

        foreach (var user in Users)
        {
            var page = await api.Host.Send(HttpMethod.Get, $"/events?type=user&user_id={user}&per_page=100");
            page.Status.ShouldBe(HttpStatusCode.OK, page.Body);
            page.Body.Split("\"projected-burst").Length.ShouldBe(11, $"{user}: ten burst events on the timeline, each once");
            var summary = await api.Host.Send(HttpMethod.Get, $"/events?type=user&user_id={user}&summary=true");
            var counted = JsonDocument.Parse(summary.Body).RootElement.GetProperty("events").EnumerateArray()
                .Where(e => e.GetProperty("name").GetString()!.StartsWith("projected-burst")).Sum(e => e.GetProperty("count").GetInt64());
            counted.ShouldBe(10, $"{user}: the summary counts the ten burst events: {summary.Body}");
        }
    }

    /// <summary>Starts each user's timeline, then posts ten events per user at once, so that groups mix users.</summary>
    private async Task SeedAndBurstAsync(string prefix)
    {
        foreach (var user in Users)
        {
            (await api.Host.PostEvent(Scenarios.Event(name: $"{prefix}-start", userId: user))).Status.ShouldBe(HttpStatusCode.Accepted);
        }

        var responses = await Task.WhenAll(Users.SelectMany(user => Enumerable.Range(0, 10).Select(i =>
            api.Host.PostEvent(Scenarios.Event(name: $"{prefix}-burst-{i % 2}", userId: user, createdAt: Scenarios.Now - 1000 - i, metadata: new { plan = "pro" })))));
        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted);
    }
}
