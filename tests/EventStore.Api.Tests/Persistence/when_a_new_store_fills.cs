using System.Net;
using EventStore.Api.Persistence;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Persistence;

/// <summary>
/// Plans cached while a new store's tables were empty scan them whole until the tables are analyzed, and autovacuum
/// first gets to them a minute or more later. The leader analyzes each table once, as soon as it fills (FirstAnalyze).
/// </summary>
public sealed class when_a_new_store_fills(when_a_new_store_fills.UnlimitedFixture api) : IClassFixture<when_a_new_store_fills.UnlimitedFixture>
{
    /// <summary>A thousand events in seconds: more than the tests' per-workspace rate limit lets through.</summary>
    public sealed class UnlimitedFixture(PostgresServer postgres) : ApiFixture(postgres)
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["RateLimits:RequestsPerWindow"] = "0" };
    }

    private static readonly string[] WritePathTables = ["mt_events", "mt_streams", "occurrence_keys", "mt_doc_usertimeline"];

    [Fact]
    public async Task analyzes_the_tables_of_the_write_path_as_soon_as_they_hold_a_thousand_rows()
    {
        // Autovacuum off for these tables, so that only the service can analyze them here.
        foreach (var table in await api.ListAsync<string>("select tablename::text from pg_tables where schemaname = 'eventstore'"))
        {
            await api.ExecuteAsync($"alter table eventstore.{table} set (autovacuum_enabled = false)");
        }

        // The log fills first (two events per new user), the other tables later: each is analyzed when it fills.
        await Track(from: 0, count: 600);
        await AnalyzedBy(["mt_events"], "the event log analyzed once it holds 1,200 rows");
        await Track(from: 600, count: 500);
        await AnalyzedBy(WritePathTables, "every table of the write path analyzed once it holds 1,100 rows");
    }

    private async Task Track(int from, int count)
    {
        foreach (var chunk in Enumerable.Range(from, count).Chunk(500))
        {
            var body = "[" + string.Join(",", chunk.Select(i => $$"""{"event_name":"signed-up","created_at":1700000000,"user_id":"filling-{{i}}"}""")) + "]";
            var response = await api.Host.Send(HttpMethod.Post, "/events/bulk", body);
            response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        }
    }

    private Task AnalyzedBy(string[] tables, string what) =>
        Waits.Until(async () => await api.ScalarAsync<long>(
                "select count(*) from pg_stat_user_tables where schemaname = 'eventstore' and relname = any($1) and last_analyze is not null",
                (object)tables) == tables.Length,
            TimeSpan.FromSeconds(60), what);
}
