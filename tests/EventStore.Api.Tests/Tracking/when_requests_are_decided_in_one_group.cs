using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

/// <summary>One group-commit lane and 3 active event names, so that requests queued together are decided in one group.</summary>
public sealed class OneGroup(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "one-group";

    protected override IReadOnlyDictionary<string, string> MoreSettings => new Dictionary<string, string>
    {
        ["Tracking:GroupCommit:Committers"] = "1",
        ["Tracking:ActiveEventNameCap"] = "3",
    };
}

/// <summary>
/// Requests queued while commits are held are decided together, each seeing the ones before it (ADR 0009): the
/// first events of a new user land on one timeline, copies of one event are stored once, and new names take the
/// last free slots once each. Played once: the ten events of a new user, eight copies of one event of another,
/// and six new names of six users (one name is used by the first two, so two slots are left for six names).
/// </summary>
public sealed class when_requests_are_decided_in_one_group(OneGroup api) : IClassFixture<OneGroup>
{
    private sealed record Played(IReadOnlyList<Response> NewUser, IReadOnlyList<Response> Copies, IReadOnlyList<Response> NewNames);

    [Fact]
    public async Task puts_every_first_event_of_a_new_user_on_one_timeline()
    {
        var played = await PlayAsync();

        played.NewUser.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted);
        var stored = (await api.TrackedIn(api.Workspace)).Where(e => e.UserId == "first-timer").ToList();
        stored.Count.ShouldBe(10);
        stored.Select(e => e.TimelineId).Distinct().Count().ShouldBe(1, "one new user, one timeline");
    }

    [Fact]
    public async Task stores_copies_of_one_event_once_and_answers_each_202()
    {
        var played = await PlayAsync();

        played.Copies.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted);
        (await api.TrackedIn(api.Workspace)).Count(e => e.UserId == "repeater").ShouldBe(1);
    }

    [Fact]
    public async Task admits_new_names_into_the_free_slots_only()
    {
        var played = await PlayAsync();

        played.NewNames.Count(r => r.Status == HttpStatusCode.Accepted).ShouldBe(2, string.Join(" | ", played.NewNames.Select(r => $"{(int)r.Status} {r.Body}")));
        played.NewNames.Where(r => r.Status != HttpStatusCode.Accepted).ShouldAllBe(r => r.Status == HttpStatusCode.UnprocessableEntity);
        (await api.TrackedIn(api.Workspace)).Select(e => e.Name).Distinct().Count().ShouldBe(3);
    }

    private Task<Played> PlayAsync() => api.Once("one group", async () =>
    {
        await using var held = await HeldCommits.HoldAsync(api);
        var newUser = Enumerable.Range(0, 10).Select(i => Post("first-timer", "grouped", Scenarios.Now - i)).ToList();
        var copies = Enumerable.Range(0, 8).Select(_ => Post("repeater", "grouped", Scenarios.Now - 100)).ToList();
        var newNames = Enumerable.Range(0, 6).Select(i => Post($"namer-{i}", $"new-name-{i}", Scenarios.Now)).ToList();
        await CommitQueue.WaitForPendingAsync(api.Host.Server.CreateClient(), api.Workspace, 24);
        await held.ReleaseAsync();
        return new Played(await Task.WhenAll(newUser), await Task.WhenAll(copies), await Task.WhenAll(newNames));
    });

    private Task<Response> Post(string user, string name, long createdAt) =>
        api.Host.PostEvent(Scenarios.Event(name: name, userId: user, createdAt: createdAt), api.Token);
}
