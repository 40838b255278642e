using System.Net;
using System.Text.Json.Nodes;
using CsCheck;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Projections;

/// <summary>
/// Property: for any history of tracked events and summary imports (with repeats), the read models the
/// service serves equal a straightforward in-memory computation of the same answers.
/// </summary>
public sealed class when_projecting_a_random_history(ApiFixture api) : IClassFixture<ApiFixture>
{
    private sealed record Step(bool IsImport, int User, int Name, long At, long Count, long Last);

    private static readonly Gen<Step> StepGen =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 3], Gen.Int[0, 4], Gen.Long[0, 20], Gen.Long[0, 5], Gen.Long[0, 30])
            .Select((kind, user, name, at, count, span) => new Step(kind == 0, user, name, 1_700_000_000 + at, count, 1_700_000_000 + at + span));

    private int iteration;

    [Fact]
    public async Task serves_summaries_timelines_and_segments_equal_to_an_in_memory_model()
    {
        await StepGen.List[1, 40].SampleAsync(async steps =>
        {
            var run = Interlocked.Increment(ref iteration);
            var model = new Model();
            foreach (var step in steps)
            {
                var user = $"p{run}-u{step.User}";
                var name = $"p{run}-n{step.Name}";
                if (step.IsImport)
                {
                    var response = await api.Host.Send(HttpMethod.Post, "/events/summaries",
                        $$"""{"user_id":"{{user}}","event_summaries":{"event_name":"{{name}}","count":{{step.Count}},"first":{{step.At}},"last":{{step.Last}}} }""");
                    response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
                    model.Import(user, name, step.Count, step.At, step.Last);
                }
                else
                {
                    (await api.Host.PostEvent(Scenarios.Event(name: name, userId: user, createdAt: step.At))).Status.ShouldBe(HttpStatusCode.Accepted);
                    model.Track(user, name, step.At);
                }
            }

            foreach (var user in model.Users)
            {
                var summary = (await api.Host.Get($"/events?type=user&user_id={user}&summary=true")).Json["events"]!.AsArray()
                    .ToDictionary(e => e!["name"]!.GetValue<string>(), e => (e!["count"]!.GetValue<long>(), e["first"]!.GetValue<string>(), e["last"]!.GetValue<string>()));
                summary.ShouldBe(model.SummaryOf(user), ignoreOrder: true, $"summary of {user}");

                var timeline = await api.Host.WalkTimeline($"/events?type=user&user_id={user}&per_page=7");
                timeline.Select(e => (e["event_name"]!.GetValue<string>(), e["created_at"]!.GetValue<long>()))
                    .ShouldBe(model.TimelineOf(user), $"timeline of {user}");
            }

            foreach (var name in model.Names)
            {
                var users = (await api.Host.Get($"/segments/{name}/users?per_page=100")).Json;
                users["users"]!.AsArray().ToDictionary(u => u!["user_id"]!.GetValue<string>(), u => u!["count"]!.GetValue<long>())
                    .ShouldBe(model.SegmentOf(name), ignoreOrder: true, $"segment {name}");
            }
        }, iter: 12, threads: 1);
    }

    /// <summary>The obvious computation: a set of (user, name, time) for tracking, a list of imports, and sums.</summary>
    private sealed class Model
    {
        private readonly List<(string User, string Name, long At)> tracked = [];
        private readonly HashSet<(string, string, long)> seen = [];
        private readonly HashSet<(string, string, long, long, long)> imports = [];

        public IEnumerable<string> Users => tracked.Select(t => t.User).Concat(imports.Select(i => i.Item1)).Distinct();

        public IEnumerable<string> Names => Stats().Select(s => s.Name).Distinct();

        public void Track(string user, string name, long at)
        {
            if (seen.Add((user, name, at)))
            {
                tracked.Add((user, name, at));
            }
        }

        public void Import(string user, string name, long count, long first, long last) => imports.Add((user, name, count, first, last));

        public Dictionary<string, (long, string, string)> SummaryOf(string user) =>
            Stats().Where(s => s.User == user).ToDictionary(s => s.Name, s => (s.Count, Iso(s.First), Iso(s.Last)));

        public IEnumerable<(string, long)> TimelineOf(string user) =>
            tracked.Select((t, order) => (t, order)).Where(x => x.t.User == user)
                .OrderByDescending(x => x.t.At).ThenByDescending(x => x.order).Select(x => (x.t.Name, x.t.At));

        public Dictionary<string, long> SegmentOf(string name) => Stats().Where(s => s.Name == name).ToDictionary(s => s.User, s => s.Count);

        private IEnumerable<(string User, string Name, long Count, long First, long Last)> Stats() =>
            tracked.Select(t => (t.User, t.Name, Count: 1L, First: t.At, Last: t.At))
                .Concat(imports.Where(i => i.Item3 > 0).Select(i => (User: i.Item1, Name: i.Item2, Count: i.Item3, First: i.Item4, Last: i.Item5)))
                .GroupBy(s => (s.User, s.Name))
                .Select(g => (g.Key.User, g.Key.Name, g.Sum(s => s.Count), g.Min(s => s.First), g.Max(s => s.Last)));

        private static string Iso(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
    }
}
