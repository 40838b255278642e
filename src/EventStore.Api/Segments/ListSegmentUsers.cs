using System.Text.Json;
using System.Text.Json.Serialization;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Summaries;
using EventStore.Api.Workspaces;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Segments;

/// <summary>A member of an event's segment, with how often and when they did it.</summary>
internal sealed record SegmentUser(string? UserId, string? Email, string IntercomUserId, long Count, string First, string Last)
{
    [JsonPropertyOrder(-1)]
    public string Type => "segment.user";
}

/// <summary>
/// GET /segments/{eventName}/users: the users who did an event, filtered on their count, first and last
/// occurrence (<see cref="SegmentFilter"/>), by service id: from the node's segment index (ADR 0020), or, without
/// it, from one index range of event_stats, which serves both the page (keyset on timeline_id) and the total.
/// </summary>
public static class ListSegmentUsersEndpoint
{
    [WolverineGet("/segments/{eventName}/users")]
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Get(
        string eventName, HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource, SegmentIndex index, PageCursors cursors, TimeProvider clock)
    {
        var cancellation = context.RequestAborted;
        var query = new QueryParameters(context.Request.Query);
        var perPage = query.PerPage();
        var filter = SegmentFilter.FromQuery(query);
        var cursor = query.String("starting_after");
        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        var workspace = context.User.WorkspaceOf();
        var resolved = SegmentCatalog.Resolve(await SegmentCatalog.CatalogAsync(store, workspace, cancellation), eventName);
        if (!resolved.IsSuccess)
        {
            return ErrorList.Result(context, [resolved.Rejection!]);
        }

        var name = resolved.Value.Name;
        // Bound to the filters as given, so a cursor cannot page a different set; JSON keeps the parts apart.
        var scope = JsonSerializer.Serialize(new[] { workspace, "segment-users", name, filter.Canonical });
        var after = cursor is null ? null : await cursors.DecodeAsync(scope, cursor);
        if (cursor is not null && after is null)
        {
            return ErrorList.Result(context, [SegmentCatalog.InvalidCursor]);
        }

        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var indexed = await index.ReadAsync(workspace, segments =>
        {
            var set = segments.Did(name, filter, now);
            var ids = segments.Page(set, after, perPage + 1);
            return (Total: WorkspaceSegments.Count(set), Rows: ids.Select(id => (Id: id, Row: segments.Row(name, id))).ToList());
        }, cancellation);
        var (total, users) = indexed.Indexed
            ? (indexed.Result.Total, await IndexedPageAsync(dataSource, workspace, indexed.Result.Rows, cancellation))
            : await SqlPageAsync(dataSource, workspace, name, filter, now, after, perPage, cancellation);

        var hasMore = users.Count > perPage;
        var page = hasMore ? users[..perPage] : users;
        var next = hasMore ? Links.WithQuery(context.Request, ("starting_after", await cursors.EncodeAsync(scope, page[^1].IntercomUserId))) : null;
        return ApiJson.Ok(new { type = "segment.user.list", segment = name, total_count = total, users = page, pages = new Pages(perPage, next) });
    }

    /// <summary>The members the index chose, with its count, first and last, described from their snapshots (a user erased since is left out).</summary>
    private static async Task<List<SegmentUser>> IndexedPageAsync(NpgsqlDataSource dataSource, string workspace, List<(string Id, MemberRow Row)> rows,
        CancellationToken cancellation)
    {
        var identities = await SegmentCatalog.IdentitiesAsync(dataSource, workspace, [.. rows.Select(r => r.Id)], cancellation);
        return [.. rows.Where(r => identities.ContainsKey(r.Id)).Select(r => new SegmentUser(identities[r.Id].UserId, identities[r.Id].Email, r.Id,
            r.Row.Count, ApiJson.Iso8601(r.Row.First), ApiJson.Iso8601(r.Row.Last)))];
    }

    /// <summary>Without the index (turned off, or the workspace over its memory limit): a page and the total from event_stats.</summary>
    private static async Task<(long Total, List<SegmentUser> Users)> SqlPageAsync(NpgsqlDataSource dataSource, string workspace, string name, SegmentFilter filter,
        long now, string? after, int perPage, CancellationToken cancellation)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(PageQuery(workspace, name, filter, now, after, perPage + 1).ToBatchCommand());
        batch.BatchCommands.Add(CountQuery(workspace, name, filter, now).ToBatchCommand());
        await using var reader = await batch.ExecuteReaderAsync(cancellation);
        var users = new List<SegmentUser>(perPage + 1);
        while (await reader.ReadAsync(cancellation))
        {
            users.Add(new SegmentUser(
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(0),
                reader.GetInt64(3),
                ApiJson.Iso8601(reader.GetInt64(4)),
                ApiJson.Iso8601(reader.GetInt64(5))));
        }

        await reader.NextResultAsync(cancellation);
        await reader.ReadAsync(cancellation);
        return (reader.GetInt64(0), users);
    }

    /// <summary>One page of members after a timeline id: ix_event_stats_by_name in order, each joined to its user by primary key.</summary>
    internal static SqlQuery PageQuery(string workspace, string name, SegmentFilter filter, long now, string? after, int limit)
    {
        var sql = new SqlBuilder();
        var tenant = sql.Parameter(workspace);
        sql.Append(
            "select s.timeline_id, t.data ->> 'UserId', t.data ->> 'Email', s.count, s.first_at, s.last_at " +
            $"from {EventStatsProjection.Table.QualifiedName} s join {SegmentCatalog.UserTable} t on t.tenant_id = {tenant} and t.id = s.timeline_id " +
            $"where s.tenant_id = {tenant} and s.name = {sql.Parameter(name)}");
        if (after is not null)
        {
            sql.Append($" and s.timeline_id > {sql.Parameter(after)}");
        }

        filter.AppendSql(sql, "s", now);
        return sql.Append($" order by s.timeline_id limit {sql.Parameter(limit)}").Build();
    }

    /// <summary>The size of the whole filtered set; every row of event_stats has its user, so no join is needed.</summary>
    internal static SqlQuery CountQuery(string workspace, string name, SegmentFilter filter, long now)
    {
        var sql = new SqlBuilder();
        sql.Append($"select count(*) from {EventStatsProjection.Table.QualifiedName} s where s.tenant_id = {sql.Parameter(workspace)} and s.name = {sql.Parameter(name)}");
        filter.AppendSql(sql, "s", now);
        return sql.Build();
    }
}
