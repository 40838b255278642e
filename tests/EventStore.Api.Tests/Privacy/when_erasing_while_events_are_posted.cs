using System.Diagnostics;
using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Privacy;

/// <summary>Rate limits off: a race played again (a new user each time) sends a few hundred events more.</summary>
public sealed class ErasureRaceService(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["RateLimits:RequestsPerWindow"] = "0" };
}

/// <summary>
/// An erasure racing the group committer: every event answered 202 is either erased with the user or on a fresh
/// timeline that holds only events sent after the erasure began; nothing is lost, nothing is left half-erased.
/// </summary>
public sealed class when_erasing_while_events_are_posted(ErasureRaceService api) : IClassFixture<ErasureRaceService>
{
    private const int Seeded = 20;
    private const int Posters = 4;
    private const int PostsEach = 30;
    private const int EraseAfter = 40;
    private const int Attempts = 5;

    /// <summary>One post or the erasure: when it started and ended (Stopwatch ticks), and its answer.</summary>
    private sealed record Call(long Started, long Ended, HttpStatusCode Status);

    private sealed record Race(string User, string Erased, IReadOnlyList<Call> Posts, Call Erasure, long Removed)
    {
        /// <summary>Posts that were answered 202 while the erasure ran: the race this test is about.</summary>
        public int AcceptedDuringErasure => Posts.Count(p => p.Status == HttpStatusCode.Accepted && p.Started < Erasure.Ended && p.Ended > Erasure.Started);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task leaves_no_trace_or_a_consistent_fresh_timeline(int round)
    {
        // The race is only a race if posts were in flight while the erasure ran: play it again (a new user) until they were.
        var race = await RaceAsync($"race-{round}-1");
        for (var attempt = 2; race.AcceptedDuringErasure == 0 && attempt <= Attempts; attempt++)
        {
            race = await RaceAsync($"race-{round}-{attempt}");
        }

        race.AcceptedDuringErasure.ShouldBeGreaterThan(0, $"in {Attempts} attempts no post was accepted while the erasure ran");
        race.Posts.ShouldAllBe(p => p.Status == HttpStatusCode.Accepted, "a post racing an erasure is decided again, never failed");
        race.Erasure.Status.ShouldBe(HttpStatusCode.OK);
        // One more event once the erasure has answered: the user must now have exactly one, fresh, timeline.
        await api.Track(race.User, "raced", Scenarios.Now, email: $"{race.User}@example.org");

        (await api.TracesOf("acme", race.Erased)).ShouldBe(Traces.None, "the erased timeline must be gone from every table");
        (await api.OrphansIn("acme")).ShouldBeEmpty("no events, entries, stats or occurrence keys without their user");
        (await api.EventsMentioning("acme", race.Erased)).ShouldBe(0, "no event in any stream may still name the erased timeline");
        var fresh = (await api.TimelinesIn("acme")).Where(t => t.UserId == race.User).ToList();
        fresh.Count.ShouldBe(1, "events after the erasure start one fresh timeline");
        fresh[0].Id.ShouldNotBe(race.Erased);
        fresh[0].Email.ShouldBe($"{race.User}@example.org");
        var remaining = await api.Host.WalkTimeline($"/events?type=user&user_id={race.User}&per_page=100");
        remaining.ShouldAllBe(e => e["created_at"]!.GetValue<long>() >= 1_700_000_000, "the fresh timeline holds no event seeded before the erasure");
        var summary = (await api.Host.Get($"/events?type=user&user_id={race.User}&summary=true")).Ok()["events"]!.AsArray();
        summary.Single()!["count"]!.GetValue<long>().ShouldBe(remaining.Count, "the summary counts exactly the fresh timeline's events");
        (race.Removed + remaining.Count).ShouldBe(Seeded + (Posters * PostsEach) + 1,
            $"every accepted event is either erased ({race.Removed}) or on the fresh timeline ({remaining.Count})");
    }

    /// <summary>Seeds the user, then posters send events with created_at they alone use; the erasure starts once EraseAfter of them were accepted.</summary>
    private async Task<Race> RaceAsync(string user)
    {
        for (var i = 0; i < Seeded; i++)
        {
            await api.Track(user, "raced", 1_600_000_000 + i, email: $"{user}@example.org");
        }

        var erased = (await api.TimelinesIn("acme")).Single(t => t.UserId == user).Id;
        var accepted = 0;
        var eraseNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var posters = Enumerable.Range(0, Posters).Select(p => Task.Run(async () =>
        {
            var calls = new List<Call>();
            for (var i = 0; i < PostsEach; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var response = await api.Host.PostEvent(Scenarios.Event(name: "raced", userId: user, createdAt: 1_700_000_000 + (p * 1000) + i, email: $"{user}@example.org"));
                calls.Add(new Call(started, Stopwatch.GetTimestamp(), response.Status));
                if (Interlocked.Increment(ref accepted) == EraseAfter)
                {
                    eraseNow.SetResult();
                }
            }

            return calls;
        })).ToList();
        var erase = Task.Run(async () =>
        {
            await eraseNow.Task;
            var started = Stopwatch.GetTimestamp();
            var response = await api.Erase(new { user_id = user });
            return (Call: new Call(started, Stopwatch.GetTimestamp(), response.Status), Response: response);
        });

        var posts = (await Task.WhenAll(posters)).SelectMany(c => c).ToList();
        var (erasure, answer) = await erase;
        var removed = erasure.Status == HttpStatusCode.OK ? answer.Json["events_removed"]!.GetValue<long>() : -1;
        return new Race(user, erased, posts, erasure, removed);
    }
}
