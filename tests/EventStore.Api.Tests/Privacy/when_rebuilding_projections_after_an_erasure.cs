using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Privacy;

/// <summary>Rebuilding read models replays the events; an erased user's events are gone, so nothing can come back.</summary>
public sealed class when_rebuilding_projections_after_an_erasure(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string[] Reads =
    [
        "/events?type=user&user_id=rb-kept&per_page=100",
        "/events?type=user&user_id=rb-kept&summary=true",
        "/segments/placed-order",
        "/segments/placed-order/users",
        "/segments/signed-up/users",
        "/event-names",
    ];

    [Fact]
    public async Task serves_the_same_answers_for_the_remaining_users_and_404_for_the_erased_one()
    {
        var erased = await api.SeedUser("rb-erased");
        await api.SeedUser("rb-kept");
        (await api.Erase(new { user_id = "rb-erased" })).Status.ShouldBe(HttpStatusCode.OK);
        var before = await ReadAll();

        await Operations.OperationsScenarios.RebuildAsync(api, "all");

        Operations.OperationsScenarios.ShouldAnswerAsBefore(await ReadAll(), before, "after the rebuild");

        (await api.Host.Get("/events?type=user&user_id=rb-erased")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
        (await api.Host.Get("/events?type=user&email=rb-erased@example.org")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
        (await api.TracesOf("acme", erased)).ShouldBe(Traces.None, "the rebuild must not bring back any row of the erased user");
        (await api.OrphansIn("acme")).ShouldBeEmpty();
    }

    private async Task<Dictionary<string, string>> ReadAll()
    {
        var answers = new Dictionary<string, string>();
        foreach (var url in Reads)
        {
            var response = await api.Host.Get(url);
            response.Status.ShouldBe(HttpStatusCode.OK, $"{url}: {response.Body}");
            // pages.since carries a database snapshot, which moves on by itself: compare everything else.
            var json = response.Json;
            json["pages"]?.AsObject().Remove("since");
            answers[url] = json.ToJsonString();
        }

        return answers;
    }
}
