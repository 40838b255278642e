using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Privacy;

/// <summary>
/// An erasure racing the group committer: every event answered 202 is either erased with the user or on a fresh
/// timeline that holds only events sent after the erasure began; nothing is lost, nothing is left half-erased.
/// </summary>
public sealed class when_erasing_while_events_are_posted(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const int Seeded = 20;
    private const int Posters = 4;
    private const int PostsEach = 30;
    private const int EraseAfter = 40;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task leaves_no_trace_or_a_consistent_fresh_timeline(int round)
    {
        var user = $"race-{round}";
        for (var i = 0; i < Seeded; i++)
        {
            await api.Track(user, "raced", 1_600_000_000 + i, email: $"{user}@example.org");
        }

        var erased = (await api.TimelinesIn("acme")).Single(t => t.UserId == user).Id;

        // Posters send events with created_at they alone use; the erasure starts once EraseAfter of them were accepted.
        var accepted = 0;
        var eraseNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var posters = Enumerable.Range(0, Posters).Select(p => Task.Run(async () =>
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < PostsEach; i++)
            {
                var response = await api.Host.PostEvent(Scenarios.Event(name: "raced", userId: user, createdAt: 1_700_000_000 + (p * 1000) + i, email: $"{user}@example.org"));
                statuses.Add(response.Status);
                if (Interlocked.Increment(ref accepted) == EraseAfter)
                {
                    eraseNow.SetResult();
                }
            }

            return statuses;
        })).ToList();
        var erase = Task.Run(async () =>
        {
            await eraseNow.Task;
            return await api.Erase(new { user_id = user });
        });

        var statuses = (await Task.WhenAll(posters)).SelectMany(s => s).ToList();
        var erasure = await erase;

        statuses.ShouldAllBe(s => s == HttpStatusCode.Accepted, "a post racing an erasure is decided again, never failed");
        var removed = erasure.Ok()["events_removed"]!.GetValue<long>();
        (await api.TracesOf("acme", erased)).ShouldBe(Traces.None, "the erased timeline must be gone from every table");
        (await api.OrphansIn("acme")).ShouldBeEmpty("no events, entries, stats or occurrence keys without their user");
        (await api.EventsMentioning("acme", erased)).ShouldBe(0, "no event in any stream may still name the erased timeline");

        var fresh = (await api.TimelinesIn("acme")).Where(t => t.UserId == user).ToList();
        fresh.Count.ShouldBeLessThanOrEqualTo(1);
        var remaining = fresh.Count == 0 ? [] : await api.Host.WalkTimeline($"/events?type=user&user_id={user}&per_page=100");
        if (fresh.Count == 1)
        {
            fresh[0].Id.ShouldNotBe(erased, "events after the erasure start a fresh timeline");
            fresh[0].Email.ShouldBe($"{user}@example.org");
            remaining.ShouldAllBe(e => e["created_at"]!.GetValue<long>() >= 1_700_000_000, "the fresh timeline holds no event seeded before the erasure");
            var summary = (await api.Host.Get($"/events?type=user&user_id={user}&summary=true")).Ok()["events"]!.AsArray();
            summary.Single()!["count"]!.GetValue<long>().ShouldBe(remaining.Count, "the summary counts exactly the fresh timeline's events");
        }

        (removed + remaining.Count).ShouldBe(Seeded + (Posters * PostsEach),
            $"every accepted event is either erased ({removed}) or on the fresh timeline ({remaining.Count})");
    }
}
