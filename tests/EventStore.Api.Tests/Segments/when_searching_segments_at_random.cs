using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Alba;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Operations;
using EventStore.Api.Tests.Privacy;
using static EventStore.Api.Tests.Segments.NaiveSegments;

namespace EventStore.Api.Tests.Segments;

/// <summary>
/// Property: random workloads (tracked events with repeats, imported summaries, erasures) and random boolean searches give
/// the member lists and counts of a naive model, from the segment index as it loads, as it catches up, after a rebuild,
/// after a restart (another node, loading from scratch), and from SQL with the index off. The seed is in every message.
/// </summary>
public sealed class when_searching_segments_at_random(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string[] Names = ["alpha", "beta", "gamma", "delta"];
    private static readonly long Base = Scenarios.Now;
    private const long Span = 60 * Day;
    private const int Users = 30;

    private readonly int seed = Random.Shared.Next();
    private readonly NaiveSegments model = new();

    [Fact]
    public async Task answers_as_a_naive_model_of_the_events()
    {
        var random = new Random(seed);
        await WorkloadAsync(api.Host, random, events: 250, summaries: 15, erasures: 2);
        await ShouldMatchModelAsync(api.Host, random, "after the first load");

        await WorkloadAsync(api.Host, random, events: 120, summaries: 5, erasures: 2);
        await ShouldMatchModelAsync(api.Host, random, "after catching up with more events, summaries and erasures");

        await OperationsScenarios.RebuildAsync(api, "all");
        await ShouldMatchModelAsync(api.Host, random, "after a rebuild of every projection");

        await using (var restarted = await NodeAsync())
        {
            await ShouldMatchModelAsync(restarted, random, "on a node started afterwards");
            await WorkloadAsync(api.Host, random, events: 60, summaries: 3, erasures: 1);
            await ShouldMatchModelAsync(restarted, random, "on that node, right after another node committed more");
        }

        await using var withoutIndex = await NodeAsync(("Segments:Index:MemoryLimitMegabytes", "0"));
        await ShouldMatchModelAsync(withoutIndex, random, "from SQL, with the index off");
    }

    private async Task<IAlbaHost> NodeAsync(params (string Key, string Value)[] settings) =>
        await AlbaHost.For<Program>(builder => ApiFixture.ConfigureService(builder, api.ConnectionString, settings.ToDictionary(s => s.Key, s => s.Value)));

    /// <summary>Tracked events (a tenth repeat an earlier one), summaries (some of zero occurrences) and erasures, in bulk requests.</summary>
    private async Task WorkloadAsync(IAlbaHost host, Random random, int events, int summaries, int erasures)
    {
        var tracked = new List<(string User, string Name, long At)>();
        for (var i = 0; i < events; i++)
        {
            var occurrence = tracked.Count > 0 && random.Next(10) == 0
                ? tracked[random.Next(tracked.Count)]
                : ($"r{random.Next(Users)}", Names[random.Next(Names.Length)], Base - (random.NextInt64(0, Span / 3600) * 3600) - 1800);
            tracked.Add(occurrence);
        }

        foreach (var chunk in tracked.Chunk(50))
        {
            var body = "[" + string.Join(',', chunk.Select(e => $$"""{"event_name":"{{e.Name}}","created_at":{{e.At}},"user_id":"{{e.User}}"}""")) + "]";
            var response = await host.Send(HttpMethod.Post, "/events/bulk", body);
            response.Status.ShouldBe(HttpStatusCode.OK, $"seed {seed}: {response.Body}");
            response.Json["results"]!.AsArray().ShouldAllBe(r => r!["status"]!.GetValue<string>() != "rejected", $"seed {seed}: {response.Body}");
            foreach (var (user, name, at) in chunk)
            {
                model.Tracked(user, name, at);
            }
        }

        for (var i = 0; i < summaries; i++)
        {
            var (user, name) = ($"r{random.Next(Users + 5)}", Names[random.Next(Names.Length)]);
            var first = Base - (random.NextInt64(1, Span / 3600) * 3600) - 1800;
            var last = first + (random.NextInt64(0, (Base - first) / 3600) * 3600);
            var count = random.Next(0, 5);
            var response = await host.Send(HttpMethod.Post, "/events/summaries",
                $$"""{"user_id":"{{user}}","event_summaries":[{"event_name":"{{name}}","count":{{count}},"first":{{first}},"last":{{last}}}]}""");
            response.Status.ShouldBe(HttpStatusCode.OK, $"seed {seed}: {response.Body}");
            model.Imported(user, name, count, first, last);
        }

        foreach (var user in model.Users.OrderBy(_ => random.Next()).Take(erasures).ToList())
        {
            var response = await host.Send(HttpMethod.Post, "/users/erase", $$"""{"user_id":"{{user}}"}""", await api.PrivacyToken());
            response.Status.ShouldBe(HttpStatusCode.OK, $"seed {seed}: {response.Body}");
            model.Erased(user);
        }
    }

    private async Task ShouldMatchModelAsync(IAlbaHost host, Random random, string when)
    {
        for (var i = 0; i < 25; i++)
        {
            var search = RandomSearch(random, Names, Base, Span, depth: 4);
            var expected = search.Evaluate(model, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            var (found, total) = await SearchAllPagesAsync(host, search.Json, random.Next(1, 25), when);
            found.ShouldBe(expected.Order(StringComparer.Ordinal), ignoreOrder: true, $"seed {seed}, {when}: {search.Json}");
            total.ShouldBe(expected.Count, $"seed {seed}, {when}: total_count of {search.Json}");
        }

        for (var i = 0; i < 8; i++)
        {
            var name = Names[random.Next(Names.Length)];
            var filters = RandomFilters(random, Base, Span);
            var expected = model.Did(name, filters, DateTimeOffset.UtcNow.ToUnixTimeSeconds()).OrderBy(d => d.User, StringComparer.Ordinal).ToList();
            var query = string.Join('&', filters.Select(f => $"{f.Key}={f.Value.ToString(CultureInfo.InvariantCulture)}").Append("per_page=100"));
            var list = (await host.Send(HttpMethod.Get, $"/segments/{name}/users?{query}")).Ok();
            var what = $"seed {seed}, {when}: /segments/{name}/users?{query}";
            list["total_count"]!.GetValue<long>().ShouldBe(expected.Count, what);
            list["users"]!.AsArray().Select(Row).OrderBy(r => r.User, StringComparer.Ordinal).ToList().ShouldBe(expected, what);
        }
    }

    private static (string User, long Count, long First, long Last) Row(JsonNode? user) => (
        user!["user_id"]!.GetValue<string>(),
        user["count"]!.GetValue<long>(),
        DateTimeOffset.Parse(user["first"]!.GetValue<string>(), CultureInfo.InvariantCulture).ToUnixTimeSeconds(),
        DateTimeOffset.Parse(user["last"]!.GetValue<string>(), CultureInfo.InvariantCulture).ToUnixTimeSeconds());

    /// <summary>Every page of a search: user ids in the order served (service ids rising), and the total every page gave.</summary>
    private async Task<(List<string> Users, long Total)> SearchAllPagesAsync(IAlbaHost host, string query, int perPage, string when)
    {
        var users = new List<string>();
        var serviceIds = new List<string>();
        var totals = new HashSet<long>();
        string? cursor = null;
        do
        {
            var after = cursor is null ? "" : $",\"starting_after\":\"{cursor}\"";
            var page = (await host.Send(HttpMethod.Post, "/segments/search", $$"""{"query":{{query}},"per_page":{{perPage}}{{after}}}""")).Ok();
            totals.Add(page["total_count"]!.GetValue<long>());
            foreach (var user in page["users"]!.AsArray())
            {
                users.Add(user!["user_id"]!.GetValue<string>());
                serviceIds.Add(user["intercom_user_id"]!.GetValue<string>());
            }

            cursor = page["pages"]!["next"]?["starting_after"]?.GetValue<string>();
            users.Count.ShouldBeLessThanOrEqualTo(Users + 10, $"seed {seed}, {when}: paging must end ({query})");
        }
        while (cursor is not null);

        totals.Count.ShouldBe(1, $"seed {seed}, {when}: every page gives the same total ({query})");
        serviceIds.ShouldBe(serviceIds.Order(StringComparer.Ordinal).Distinct(), $"seed {seed}, {when}: pages follow service ids, each once ({query})");
        return (users, totals.Single());
    }
}
