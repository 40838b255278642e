using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Segments;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EventStore.Api.Tests.Segments;

/// <summary>
/// The SQL the segment endpoints run reads event_stats through its indexes, never by a sequential scan,
/// on a table big enough (and analyzed) for the planner to choose freely.
/// </summary>
public sealed class when_planning_segment_queries(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Workspace = "planned";
    private const int Users = 1000;
    private const int Names = 60;
    private const long Now = 1_700_000_000;

    private Task Population() => api.SeedOnce(async () =>
    {
        var dataSource = api.Host.Services.GetRequiredService<NpgsqlDataSource>();
        // Two workspaces, so none is the whole table, as in any service of several workspaces.
        await using (var insert = dataSource.CreateCommand(
            "insert into eventstore.event_stats (tenant_id, timeline_id, name, count, first_at, last_at) " +
            "select w, lpad(u::text, 24, '0'), 'event-' || n, 1 + (u * n) % 9, $1 - ((u * 7 + n) % 400) * 86400, $1 - ((u * 3 + n) % 100) * 86400 " +
            "from unnest(array[$2, 'other']) w, generate_series(1, $3) u, generate_series(1, $4) n " +
            "where (u + n) % 3 <> 0"))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = Now });
            insert.Parameters.Add(new NpgsqlParameter { Value = Workspace });
            insert.Parameters.Add(new NpgsqlParameter { Value = Users });
            insert.Parameters.Add(new NpgsqlParameter { Value = Names });
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        foreach (var (workspace, users) in new[] { (Workspace, Users), ("other", 10 * Users) })
        {
            var timelines = Enumerable.Range(1, users).Select(u => new UserTimeline { Id = u.ToString("D24"), UserId = $"user-{u}" }).ToList();
            await api.Store.BulkInsertAsync(workspace, timelines, cancellation: TestContext.Current.CancellationToken);
        }

        await using var analyze = dataSource.CreateCommand("vacuum analyze eventstore.event_stats, eventstore.mt_doc_usertimeline");
        await analyze.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    });

    public static TheoryData<string> Filters => new()
    {
        "{}",
        """{"count_gt":5}""",
        """{"count_eq":2}""",
        """{"first_before":1690000000}""",
        """{"last_less_than_days_ago":3}""",
        """{"count_ne":1,"first_more_than_days_ago":30,"last_after":1699000000}""",
    };

    [Fact]
    public async Task aggregates_a_page_of_segments_from_the_name_index()
    {
        await Population();
        var page = Enumerable.Range(1, 15).Select(n => $"event-{n}").ToList();

        var plan = await Explain(SegmentCatalog.StatsQuery(Workspace, page));

        ShouldReadEventStatsByIndex(plan);
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task pages_segment_users_from_an_index(string filter)
    {
        await Population();

        var plan = await Explain(ListSegmentUsersEndpoint.PageQuery(Workspace, "event-7", Filter(filter), Now, after: "000000000000000000000500", limit: 16));

        ShouldReadEventStatsByIndex(plan);
        SeqScansOn(plan, "mt_doc_usertimeline").ShouldBe(0, $"users are joined by primary key:\n{plan}");
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task counts_segment_users_from_an_index(string filter)
    {
        await Population();

        var plan = await Explain(ListSegmentUsersEndpoint.CountQuery(Workspace, "event-7", Filter(filter), Now));

        ShouldReadEventStatsByIndex(plan);
    }

    [Theory]
    [InlineData("""{"and":[{"event_name":"event-1","count_gt":2},{"event_name":"event-2","last_less_than_days_ago":30},{"not":{"event_name":"event-3"}}]}""")]
    [InlineData("""{"or":[{"event_name":"event-4"},{"not":{"and":[{"event_name":"event-5","count_eq":1},{"event_name":"event-6"}]}}]}""")]
    public async Task searches_with_every_condition_on_an_index(string query)
    {
        await Population();
        var search = SegmentSearch.Parse(JsonDocument.Parse($$"""{"query":{{query}}}""").RootElement).Query!;

        var plan = await Explain(SearchSegmentsEndpoint.Query(Workspace, search, Now, after: null, limit: 16));

        ShouldReadEventStatsByIndex(plan);
    }

    private static SegmentFilter Filter(string json) =>
        SegmentFilter.FromJson(JsonDocument.Parse(json).RootElement, "filter", []);

    private async Task<JsonNode> Explain(SqlQuery query)
    {
        var dataSource = api.Host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = (query with { Text = "explain (format json) " + query.Text }).ToCommand(connection);
        var json = (string)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        return JsonNode.Parse(json)!;
    }

    private static void ShouldReadEventStatsByIndex(JsonNode plan)
    {
        var text = plan.ToJsonString();
        text.ShouldContain("ix_event_stats_by_", Case.Sensitive, $"event_stats is read through one of its indexes:\n{plan}");
        SeqScansOn(plan, "event_stats").ShouldBe(0, $"no sequential scan of event_stats:\n{plan}");
    }

    private static int SeqScansOn(JsonNode plan, string table) =>
        Nodes(plan[0]!["Plan"]!).Count(n => n["Node Type"]?.GetValue<string>() == "Seq Scan" && n["Relation Name"]?.GetValue<string>() == table);

    private static IEnumerable<JsonNode> Nodes(JsonNode node) =>
        [node, .. (node["Plans"]?.AsArray() ?? []).SelectMany(child => Nodes(child!))];
}
