using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EventStore.Api.Tests.Privacy;

/// <summary>What is left of one timeline in each table that can hold it.</summary>
public sealed record Traces(long Events, long Streams, long Snapshots, long TimelineEntries, long EventStats, long Occurrences)
{
    public static readonly Traces None = new(0, 0, 0, 0, 0, 0);
}

/// <summary>Seeding, erasing, exporting, and looking into the database for what an erasure must remove.</summary>
public static class PrivacyScenarios
{
    /// <summary>A token of acme with the <c>users:erase</c> scope, which erasure and export need (issued once per fixture).</summary>
    public static async Task<string> PrivacyToken(this ApiFixture api) =>
        (await api.Once("erase token", () => api.Host.CreateToken("acme", "users:erase"))).Secret;

    /// <summary>Erases with acme's <see cref="PrivacyToken"/>.</summary>
    public static async Task<Response> Erase(this ApiFixture api, object body) =>
        await api.Host.Send(HttpMethod.Post, "/users/erase", JsonSerializer.Serialize(body), await api.PrivacyToken());

    /// <summary>Exports with acme's <see cref="PrivacyToken"/>, unless another token is given.</summary>
    public static async Task<Response> Export(this ApiFixture api, string query, string? token = null) =>
        await api.Host.Send(HttpMethod.Get, $"/users/export?{query}", token: token ?? await api.PrivacyToken());

    /// <summary>Posts one event and insists it was accepted.</summary>
    public static async Task Track(this ApiFixture api, string userId, string name, long createdAt, string? email = null, object? metadata = null, string token = ApiFixture.AcmeToken)
    {
        var response = await api.Host.PostEvent(Scenarios.Event(name: name, userId: userId, createdAt: createdAt, email: email, metadata: metadata), token);
        response.Status.ShouldBe(HttpStatusCode.Accepted, $"seeding {userId} {name}: {response.Body}");
    }

    /// <summary>Imports one summary and insists it was recorded.</summary>
    public static async Task Import(this ApiFixture api, string userId, string name, long count, long first, long last, string token = ApiFixture.AcmeToken)
    {
        var response = await api.Host.Send(HttpMethod.Post, "/events/summaries",
            JsonSerializer.Serialize(new { user_id = userId, event_summaries = new { event_name = name, count, first, last } }), token);
        response.Status.ShouldBe(HttpStatusCode.OK, $"importing for {userId}: {response.Body}");
    }

    /// <summary>A user with two tracked events (one with metadata), an email and an imported summary.</summary>
    public static async Task<string> SeedUser(this ApiFixture api, string userId, string workspace = "acme", string token = ApiFixture.AcmeToken)
    {
        await api.Track(userId, "signed-up", 1_700_000_000, email: $"{userId}@example.org", metadata: new { plan = "pro", seats = 3 }, token: token);
        await api.Track(userId, "placed-order", 1_700_000_100, token: token);
        await api.Import(userId, "placed-order", 4, 1_600_000_000, 1_650_000_000, token);
        return (await api.TimelinesIn(workspace)).Single(t => t.UserId == userId).Id;
    }

    public static NpgsqlDataSource Database(this ApiFixture api) => api.Host.Services.GetRequiredService<NpgsqlDataSource>();

    /// <summary>Counts the rows that belong to a timeline, table by table, straight from PostgreSQL.</summary>
    public static async Task<Traces> TracesOf(this ApiFixture api, string workspace, string timelineId)
    {
        const string sql = """
            select
              (select count(*) from eventstore.mt_events where tenant_id = $1 and stream_id = $2),
              (select count(*) from eventstore.mt_streams where tenant_id = $1 and id = $2),
              (select count(*) from eventstore.mt_doc_usertimeline where tenant_id = $1 and id = $2),
              (select count(*) from eventstore.timeline_entries where tenant_id = $1 and timeline_id = $2),
              (select count(*) from eventstore.event_stats where tenant_id = $1 and timeline_id = $2),
              (select count(*) from eventstore.occurrence_keys where tenant_id = $1 and (starts_with(id, $2 || '|') or starts_with(id, 'summary|' || $2 || '|')))
            """;
        await using var command = api.Database().CreateCommand(sql);
        command.Parameters.AddWithValue(workspace);
        command.Parameters.AddWithValue(timelineId);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        return new Traces(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }

    /// <summary>
    /// Every row of a workspace that belongs to no user timeline snapshot: what a half-done erasure would leave.
    /// Besides the workspace streams, Marten's own <c>mt_tombstone</c> stream is expected: it records sequence
    /// numbers of rolled-back appends (empty events, see <see cref="EventsMentioning"/>).
    /// </summary>
    public static async Task<IReadOnlyList<string>> OrphansIn(this ApiFixture api, string workspace)
    {
        const string sql = """
            select 'mt_events ' || stream_id from eventstore.mt_events e where tenant_id = $1 and stream_id not in ('event-names', 'erasures', 'mt_tombstone')
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = e.stream_id)
            union all
            select 'mt_streams ' || id from eventstore.mt_streams s where tenant_id = $1 and id not in ('event-names', 'erasures', 'mt_tombstone')
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = s.id)
            union all
            select 'timeline_entries ' || timeline_id from eventstore.timeline_entries x where tenant_id = $1
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = x.timeline_id)
            union all
            select 'event_stats ' || timeline_id from eventstore.event_stats x where tenant_id = $1
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1 and t.id = x.timeline_id)
            union all
            select 'occurrence ' || id from eventstore.occurrence_keys o where tenant_id = $1
              and not exists (select 1 from eventstore.mt_doc_usertimeline t where t.tenant_id = $1
                and (starts_with(o.id, t.id || '|') or starts_with(o.id, 'summary|' || t.id || '|')))
            union all
            select 'snapshot without a started stream ' || id from eventstore.mt_doc_usertimeline t where tenant_id = $1
              and not exists (select 1 from eventstore.mt_events e where e.tenant_id = $1 and e.stream_id = t.id and e.version = 1 and e.type = 'user_timeline_started')
            """;
        await using var command = api.Database().CreateCommand(sql);
        command.Parameters.AddWithValue(workspace);
        var orphans = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            orphans.Add(reader.GetString(0));
        }

        return orphans;
    }

    /// <summary>Events anywhere in a workspace (any stream, tombstones included) whose body contains the text.</summary>
    public static async Task<long> EventsMentioning(this ApiFixture api, string workspace, string text)
    {
        await using var command = api.Database().CreateCommand("select count(*) from eventstore.mt_events where tenant_id = $1 and strpos(data::text, $2) > 0");
        command.Parameters.AddWithValue(workspace);
        command.Parameters.AddWithValue(text);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public static JsonNode Ok(this Response response)
    {
        response.Status.ShouldBe(HttpStatusCode.OK, $"body: {response.Body}");
        return response.Json;
    }
}
