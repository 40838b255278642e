using System.Text.Json.Nodes;
using EventStore.Api.Summaries;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Timelines;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EventStore.Api.Tests.Timelines;

/// <summary>
/// Timeline and summary reads go through an index on a table big enough (and analyzed) for the planner to
/// choose freely: a page costs the same whether the user has ten events or a million.
/// </summary>
public sealed class when_planning_timeline_queries(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Workspace = "planned";
    private const string HeavyUser = "000000000000000000000007";

    private Task Population() => api.SeedOnce(async () =>
    {
        var dataSource = api.Host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var batch = dataSource.CreateBatch();
        foreach (var sql in new[]
        {
            "insert into eventstore.timeline_entries (tenant_id, event_id, timeline_id, name, created_at, tx, metadata) " +
            "select w, gen_random_uuid(), lpad((case when i % 2 = 0 then 7 else i % 500 end)::text, 24, '0'), 'event-' || (i % 40), " +
            "1700000000 + i, pg_current_xact_id(), '{}' from unnest(array[$1, 'other']) w, generate_series(1, 40000) i",
            "insert into eventstore.event_stats (tenant_id, timeline_id, name, count, first_at, last_at) " +
            "select w, lpad(u::text, 24, '0'), 'event-' || n, 1, 1700000000, 1700000000 from unnest(array[$1, 'other']) w, generate_series(1, 500) u, generate_series(1, 40) n",
        })
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new NpgsqlParameter { Value = Workspace } } });
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("analyze eventstore.timeline_entries"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("analyze eventstore.event_stats"));
        await batch.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    });

    [Fact]
    public async Task reads_the_newest_page_from_the_time_index() =>
        ShouldUse(await Explain(TimelineQueries.NewestSql, Workspace, HeavyUser, 16), "ix_timeline_entries_by_time");

    [Fact]
    public async Task reads_an_older_page_from_the_time_index() =>
        ShouldUse(await Explain(TimelineQueries.BeforeSql, Workspace, HeavyUser, 16, 1_700_020_000L, 5_000L), "ix_timeline_entries_by_time");

    [Fact]
    public async Task reads_what_arrived_since_from_the_arrival_index() =>
        ShouldUse(await Explain(TimelineQueries.SinceSql, Workspace, HeavyUser, 16, "1", 0L, "1:1:"), "ix_timeline_entries_by_arrival");

    [Fact]
    public async Task reads_a_summary_by_the_primary_key_of_event_stats() =>
        // One row per event name of the user, however long the history: sorting those few rows is fine.
        ShouldUse(await Explain(UserSummary.Sql, Workspace, HeavyUser), "pkey", sortAllowed: true);

    private async Task<JsonNode> Explain(string sql, params object[] parameters)
    {
        await Population();
        var dataSource = api.Host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = dataSource.CreateCommand("explain (format json) " + sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return JsonNode.Parse((string)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!)!;
    }

    private static void ShouldUse(JsonNode plan, string index, bool sortAllowed = false)
    {
        var nodes = Nodes(plan[0]!["Plan"]!).ToList();
        nodes.ShouldNotContain(n => n["Node Type"]!.GetValue<string>() == "Seq Scan", $"no sequential scan:\n{plan}");
        nodes.ShouldContain(n => (n["Index Name"] == null ? "" : n["Index Name"]!.GetValue<string>()).Contains(index), $"reads through {index}:\n{plan}");
        if (!sortAllowed)
        {
            nodes.ShouldNotContain(n => n["Node Type"]!.GetValue<string>() == "Sort", $"the index gives the order; nothing is sorted in memory:\n{plan}");
        }
    }

    private static IEnumerable<JsonNode> Nodes(JsonNode node) =>
        [node, .. (node["Plans"]?.AsArray() ?? []).SelectMany(child => Nodes(child!))];
}
