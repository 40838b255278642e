using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

/// <summary>A service whose workspaces may have 3 active event names.</summary>
public sealed class ThreeNameCap(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Tracking:ActiveEventNameCap"] = "3" };
}

public sealed class when_a_workspace_reaches_its_event_name_cap(ThreeNameCap api) : IClassFixture<ThreeNameCap>
{
    /// <summary>acme at its cap, whichever test runs first: three names in use.</summary>
    private Task AcmeAtItsCap() => api.SeedOnce(async () =>
    {
        foreach (var name in new[] { "one", "two", "three" })
        {
            (await api.Host.PostEvent(Scenarios.Event(name: name, userId: "cap"))).Status.ShouldBe(HttpStatusCode.Accepted);
        }
    });

    [Fact]
    public async Task refuses_the_first_event_of_a_new_name_with_422_and_keeps_taking_known_names()
    {
        await AcmeAtItsCap();

        var refused = await api.Host.PostEvent(Scenarios.Event(name: "four", userId: "cap"));
        refused.ShouldBeError(HttpStatusCode.UnprocessableEntity, "unprocessable_entity", "event_name");
        refused.Errors().Single().Message.ShouldBe("Cannot have more than 3 active event names");

        (await api.Host.PostEvent(Scenarios.Event(name: "TWO", userId: "cap", createdAt: Scenarios.Now - 10))).Status
            .ShouldBe(HttpStatusCode.Accepted, "a name already active takes no new slot");
        (await api.TrackedIn("acme")).ShouldNotContain(e => e.Name == "four");
    }

    [Fact]
    public async Task counts_names_per_workspace()
    {
        await AcmeAtItsCap();

        foreach (var name in new[] { "g1", "g2", "g3" })
        {
            (await api.Host.PostEvent(Scenarios.Event(name: name, userId: "cap"), ApiFixture.GlobexToken)).Status
                .ShouldBe(HttpStatusCode.Accepted, "acme's names take none of globex's slots");
        }

        (await api.Host.PostEvent(Scenarios.Event(name: "g4", userId: "cap"), ApiFixture.GlobexToken))
            .ShouldBeError(HttpStatusCode.UnprocessableEntity, "unprocessable_entity", "event_name");
    }
}

public sealed class when_new_names_race_for_the_last_slots(ThreeNameCap api) : IClassFixture<ThreeNameCap>
{
    [Fact]
    public async Task admits_exactly_as_many_names_as_there_are_slots()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            api.Host.PostEvent(Scenarios.Event(name: $"racer-{i}", userId: $"racer-{i}"))));

        responses.Count(r => r.Status == HttpStatusCode.Accepted).ShouldBe(3, string.Join(" | ", responses.Select(r => $"{r.Status}")));
        responses.Count(r => r.Status == HttpStatusCode.UnprocessableEntity).ShouldBe(9);
        (await api.TrackedIn("acme")).Select(e => e.Name).Distinct().Count().ShouldBe(3);
    }
}
