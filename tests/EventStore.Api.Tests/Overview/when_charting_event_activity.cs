using System.Net;
using System.Text.Json.Nodes;
using EventStore.Api.Overview;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Operations;
using EventStore.Api.Tests.Privacy;

namespace EventStore.Api.Tests.Overview;

/// <summary>GET /events/activity and GET /workspace: events per hour and per day by name, and the workspace's totals.</summary>
public sealed class when_charting_event_activity(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const long Hour = 3600;
    private const long Day = 86_400;

    private static readonly long Now = Scenarios.Now;

    /// <summary>Well inside both windows, whatever hour the test runs in.</summary>
    private static readonly (string User, string Name, long CreatedAt)[] Population =
    [
        ("chart-1", "placed-order", Now - Hour),
        ("chart-1", "placed-order", Now - Hour - 60),
        ("chart-2", "placed-order", Now - (5 * Hour)),
        ("chart-2", "invited-friend", Now - Hour),
        ("chart-3", "invited-friend", Now - (3 * Day)),
        ("chart-3", "placed-order", Now - (40 * Day)),
    ];

    private Task SeedAsync() => api.SeedOnce(async () =>
    {
        foreach (var (user, name, createdAt) in Population)
        {
            await api.Track(user, name, createdAt);
        }

        // History without times: not activity.
        await api.Import("chart-4", "placed-order", 12, Now - (2 * Day), Now - Day);
    });

    [Fact]
    public async Task hours_count_each_names_events_in_the_hour_they_happened()
    {
        await SeedAsync();

        var chart = await ChartAsync("hour");

        chart.Buckets.Count.ShouldBe(24);
        chart.Count("placed-order", Now - Hour).ShouldBe(2);
        chart.Count("placed-order", Now - (5 * Hour)).ShouldBe(1);
        chart.Count("invited-friend", Now - Hour).ShouldBe(1);
        chart.Total("placed-order").ShouldBe(3, "events of 40 days ago and imported summaries are not in the last 24 hours");
        chart.Total("invited-friend").ShouldBe(1, "an event of 3 days ago is not in the last 24 hours");
    }

    [Fact]
    public async Task days_count_the_last_30_days()
    {
        await SeedAsync();

        var chart = await ChartAsync("day");

        chart.Buckets.Count.ShouldBe(30);
        chart.Total("placed-order").ShouldBe(3, "the event of 40 days ago is outside the window, imported summaries are not activity");
        chart.Count("invited-friend", Now - (3 * Day)).ShouldBe(1);
        chart.Json["total"]!.GetValue<long>().ShouldBe(5);
    }

    [Fact]
    public async Task names_are_ordered_by_their_total()
    {
        await SeedAsync();

        var chart = await ChartAsync("day");

        chart.Names.ShouldBe(["placed-order", "invited-friend"]);
    }

    [Fact]
    public async Task the_workspace_totals_users_events_and_names()
    {
        await SeedAsync();

        var response = await api.Host.Get("/workspace");

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        var totals = response.Json;
        totals["type"]!.GetValue<string>().ShouldBe("workspace");
        totals["id"]!.GetValue<string>().ShouldBe("acme");
        totals["users"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(4);
        totals["events"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(Population.Length);
        totals["active_event_names"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(2);
        totals["active_event_name_cap"]!.GetValue<int>().ShouldBe(120);
    }

    [Fact]
    public async Task an_unknown_interval_is_refused_naming_the_parameter()
    {
        var response = await api.Host.Get("/events/activity?interval=week");

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "interval");
    }

    [Fact]
    public async Task an_erased_users_events_leave_the_counts_and_a_rebuild_agrees()
    {
        await SeedAsync();
        var createdAt = Now - (2 * Hour);
        await api.Track("chart-erased", "erased-thing", createdAt);
        await api.Track("chart-erased", "erased-thing", createdAt + 1);
        (await ChartAsync("hour")).Count("erased-thing", createdAt).ShouldBe(2);

        (await api.Erase(new { user_id = "chart-erased" })).Status.ShouldBe(HttpStatusCode.OK);

        var erased = await ChartAsync("day");
        erased.Total("erased-thing").ShouldBe(0, "an erased user's events are no longer counted");
        await OperationsScenarios.RebuildAsync(api, "EventActivity");
        var rebuilt = await ChartAsync("day");
        rebuilt.Json.ToJsonString().ShouldBe(erased.Json.ToJsonString(), "a rebuild from the log gives what the live counts said");
    }

    [Fact]
    public async Task a_recount_from_the_timelines_gives_the_counts_the_projection_keeps()
    {
        await SeedAsync();
        await using var connection = await api.DataSource().OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await Database.ScalarOnAsync<int>(connection, "create temp table recounted (like eventstore.event_activity including all) on commit drop; select 1");
        const string Sums = "select coalesce(string_agg(tenant_id || ' ' || hour || ' ' || name || ' ' || n, ', ' order by tenant_id, hour, name), '') " +
            "from (select tenant_id, hour, name, sum(count) as n from {0} group by 1, 2, 3 having sum(count) <> 0) s";

        await EventActivityProjection.RecountFromTimelinesAsync(connection, transaction, "recounted", null, TestContext.Current.CancellationToken);

        var recounted = await Database.ScalarOnAsync<string>(connection, string.Format(System.Globalization.CultureInfo.InvariantCulture, Sums, "recounted"));
        var kept = await Database.ScalarOnAsync<string>(connection, string.Format(System.Globalization.CultureInfo.InvariantCulture, Sums, "eventstore.event_activity"));
        recounted.ShouldNotBeEmpty();
        recounted.ShouldBe(kept, "what a rebuild recounts after an erasure is what the inline projection kept");
    }

    private async Task<Chart> ChartAsync(string interval)
    {
        var response = await api.Host.Get($"/events/activity?interval={interval}");
        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        return new Chart(response.Json);
    }

    private sealed record Chart(JsonNode Json)
    {
        public IReadOnlyList<long> Buckets => [.. Json["buckets"]!.AsArray().Select(b => b!.GetValue<long>())];

        public IReadOnlyList<string> Names => [.. Json["event_names"]!.AsArray().Select(s => s!["name"]!.GetValue<string>())];

        public long Total(string name) => Series(name)?["total"]!.GetValue<long>() ?? 0;

        /// <summary>The count of the bucket that <paramref name="at"/> falls in, as the server cut the buckets.</summary>
        public long Count(string name, long at)
        {
            var width = Buckets[1] - Buckets[0];
            var index = Buckets.ToList().FindIndex(b => b <= at && at < b + width);
            index.ShouldBeGreaterThanOrEqualTo(0, $"{at} is in no bucket of {Json}");
            return Series(name)?["counts"]![index]!.GetValue<long>() ?? 0;
        }

        private JsonNode? Series(string name) => Json["event_names"]!.AsArray().FirstOrDefault(s => s!["name"]!.GetValue<string>() == name);
    }
}
