using System.Text.Json;
using System.Text.Json.Serialization;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Summaries;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.Tracking;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Segments;

/// <summary>
/// A boolean query over segments: conditions ("did this event, with these filters") combined with
/// and / or / not, evaluated on the node's segment index as bitmaps (<see cref="Members"/>, ADR 0020), or,
/// without it, written as set operations on user ids: a condition is one name's index range of
/// event_stats, and is INTERSECT, or is UNION, not is EXCEPT (from the workspace's users when nothing
/// else bounds it). PostgreSQL computes the matching set once, with hashes, for the page and the count.
/// </summary>
internal abstract record SegmentQuery
{
    /// <summary>The query as parsed, names quoted: what a paging cursor is bound to.</summary>
    public abstract string Canonical { get; }

    /// <summary>Appends a query whose single column <c>id</c> is the set of matching user ids.</summary>
    public abstract void AppendSet(SqlBuilder sql, string tenant, long now);

    /// <summary>The same set from the workspace's segment index, as a bitmap of user numbers (ADR 0020).</summary>
    public abstract ulong[] Members(WorkspaceSegments segments, long now);

    /// <summary>Every user of the workspace: what a negation is taken from when nothing else bounds it.</summary>
    internal static void AppendUniverse(SqlBuilder sql, string tenant) =>
        sql.Append($"(select u.id from {SegmentCatalog.UserTable} u where u.tenant_id = {tenant})");
}

internal sealed record AllOf(IReadOnlyList<SegmentQuery> Children) : SegmentQuery
{
    public override string Canonical => $"and({string.Join(',', Children.Select(c => c.Canonical))})";

    public override void AppendSet(SqlBuilder sql, string tenant, long now)
    {
        // (p1 intersect p2 ...) except n1 except n2 ...: negated children subtract from the others.
        var positives = Children.Where(c => c is not NoneOf).ToList();
        var negatives = Children.OfType<NoneOf>().ToList();
        sql.Append(new string('(', Math.Max(1, positives.Count) + negatives.Count));
        if (positives.Count == 0)
        {
            AppendUniverse(sql, tenant);
        }

        for (var i = 0; i < positives.Count; i++)
        {
            sql.Append(i == 0 ? "" : " intersect ");
            positives[i].AppendSet(sql, tenant, now);
            sql.Append(")");
        }

        if (positives.Count == 0)
        {
            sql.Append(")");
        }

        foreach (var negative in negatives)
        {
            sql.Append(" except ");
            negative.Inner.AppendSet(sql, tenant, now);
            sql.Append(")");
        }
    }

    public override ulong[] Members(WorkspaceSegments segments, long now)
    {
        var positives = Children.Where(c => c is not NoneOf).ToList();
        var set = positives.Count == 0 ? segments.Universe() : positives[0].Members(segments, now);
        foreach (var child in positives.Skip(1))
        {
            WorkspaceSegments.IntersectWith(set, child.Members(segments, now));
        }

        foreach (var negative in Children.OfType<NoneOf>())
        {
            WorkspaceSegments.ExceptWith(set, negative.Inner.Members(segments, now));
        }

        return set;
    }
}

internal sealed record AnyOf(IReadOnlyList<SegmentQuery> Children) : SegmentQuery
{
    public override string Canonical => $"or({string.Join(',', Children.Select(c => c.Canonical))})";

    public override void AppendSet(SqlBuilder sql, string tenant, long now)
    {
        sql.Append("(");
        for (var i = 0; i < Children.Count; i++)
        {
            sql.Append(i == 0 ? "" : " union ");
            Children[i].AppendSet(sql, tenant, now);
        }

        sql.Append(")");
    }

    public override ulong[] Members(WorkspaceSegments segments, long now)
    {
        var set = Children[0].Members(segments, now);
        foreach (var child in Children.Skip(1))
        {
            WorkspaceSegments.UnionWith(set, child.Members(segments, now));
        }

        return set;
    }
}

internal sealed record NoneOf(SegmentQuery Inner) : SegmentQuery
{
    public override string Canonical => $"not({Inner.Canonical})";

    public override void AppendSet(SqlBuilder sql, string tenant, long now)
    {
        sql.Append("(");
        AppendUniverse(sql, tenant);
        sql.Append(" except ");
        Inner.AppendSet(sql, tenant, now);
        sql.Append(")");
    }

    public override ulong[] Members(WorkspaceSegments segments, long now)
    {
        var set = segments.Universe();
        WorkspaceSegments.ExceptWith(set, Inner.Members(segments, now));
        return set;
    }
}

internal sealed record DidEvent(string Name, SegmentFilter Filter) : SegmentQuery
{
    public override string Canonical => $"did({JsonSerializer.Serialize(Name)},{Filter.Canonical})";

    public override void AppendSet(SqlBuilder sql, string tenant, long now)
    {
        sql.Append($"(select s.timeline_id as id from {EventStatsProjection.Table.QualifiedName} s where s.tenant_id = {tenant} and s.name = {sql.Parameter(Name)}");
        Filter.AppendSql(sql, "s", now);
        sql.Append(")");
    }

    public override ulong[] Members(WorkspaceSegments segments, long now) => segments.Did(Name, Filter, now);
}

/// <summary>The search body: a query, or every rule it breaks, each naming its path (<c>query.and[2].count_gt</c>).</summary>
internal sealed record SegmentSearch(SegmentQuery? Query, int PerPage, string? StartingAfter, IReadOnlyList<Rejection> Rejections)
{
    public const int MaxConditions = 20;
    public const int MaxDepth = 5;
    public const int MaxChildren = 20;

    private static readonly string[] BodyKeys = ["query", "per_page", "starting_after"];
    private static readonly string[] Operators = ["and", "or", "not"];

    public static SegmentSearch Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return new(null, 0, null, [Rejection.WrongType("body", "The request body must be a JSON object")]);
        }

        var rejections = new List<Rejection>();
        foreach (var property in body.EnumerateObject().Where(p => !BodyKeys.Contains(p.Name)))
        {
            rejections.Add(Rejection.Invalid(property.Name, $"{property.Name} is not a search parameter; use {string.Join(", ", BodyKeys)}"));
        }

        SegmentQuery? query = null;
        if (!body.TryGetProperty("query", out var root) || root.ValueKind == JsonValueKind.Null)
        {
            rejections.Add(Rejection.Missing("query", "query is required: a condition with event_name, or one of and, or, not"));
        }
        else
        {
            query = new Parser(rejections).Node(root, "query", depth: 1);
        }

        var perPage = QueryParameters.DefaultPerPage;
        if (body.TryGetProperty("per_page", out var perPageElement) && perPageElement.ValueKind != JsonValueKind.Null)
        {
            if (perPageElement.ValueKind != JsonValueKind.Number)
            {
                rejections.Add(Rejection.WrongType("per_page", "per_page must be an integer"));
            }
            else if (!perPageElement.TryGetInt32(out perPage) || perPage is < 1 or > QueryParameters.MaxPerPage)
            {
                rejections.Add(Rejection.Invalid("per_page", $"per_page must be an integer from 1 to {QueryParameters.MaxPerPage}"));
            }
        }

        string? startingAfter = null;
        if (body.TryGetProperty("starting_after", out var cursorElement) && cursorElement.ValueKind != JsonValueKind.Null)
        {
            if (cursorElement.ValueKind == JsonValueKind.String)
            {
                startingAfter = cursorElement.GetString();
            }
            else
            {
                rejections.Add(Rejection.WrongType("starting_after", "starting_after must be a string: pages.next.starting_after of the previous page"));
            }
        }

        return new(rejections.Count == 0 ? query : null, perPage, startingAfter, rejections);
    }

    private sealed class Parser(List<Rejection> rejections)
    {
        private int conditions;

        public SegmentQuery? Node(JsonElement node, string path, int depth)
        {
            if (node.ValueKind != JsonValueKind.Object)
            {
                rejections.Add(Rejection.WrongType(path, $"{path} must be an object: a condition with event_name, or one of and, or, not"));
                return null;
            }

            if (depth > MaxDepth)
            {
                rejections.Add(Rejection.Invalid(path, $"queries nest at most {MaxDepth} levels deep"));
                return null;
            }

            var keys = node.EnumerateObject().Select(p => p.Name).ToList();
            var operators = keys.Where(Operators.Contains).ToList();
            var isCondition = keys.Contains("event_name");
            if (operators.Count + (isCondition ? 1 : 0) != 1)
            {
                rejections.Add(Rejection.Invalid(path, $"{path} must hold exactly one of event_name, and, or, not"));
                return null;
            }

            return isCondition ? Condition(node, path) : Operator(node, operators[0], keys, path, depth);
        }

        private SegmentQuery? Operator(JsonElement node, string op, List<string> keys, string path, int depth)
        {
            var valid = true;
            foreach (var key in keys.Where(k => k != op))
            {
                rejections.Add(Rejection.Invalid($"{path}.{key}", $"{path}.{key} is not allowed beside {op}"));
                valid = false;
            }

            var field = $"{path}.{op}";
            var value = node.GetProperty(op);
            if (op == "not")
            {
                var inner = Node(value, field, depth + 1);
                return valid && inner is not null ? new NoneOf(inner) : null;
            }

            if (value.ValueKind != JsonValueKind.Array)
            {
                rejections.Add(Rejection.WrongType(field, $"{field} must be an array of 1 to {MaxChildren} queries"));
                return null;
            }

            var length = value.GetArrayLength();
            if (length is 0 or > MaxChildren)
            {
                rejections.Add(Rejection.Invalid(field, $"{field} must hold 1 to {MaxChildren} queries"));
                return null;
            }

            var children = value.EnumerateArray().Select((child, i) => Node(child, $"{field}[{i}]", depth + 1)).ToList();
            if (!valid || children.Contains(null))
            {
                return null;
            }

            return op == "and" ? new AllOf(children!) : new AnyOf(children!);
        }

        private DidEvent? Condition(JsonElement node, string path)
        {
            var valid = true;
            if (++conditions == MaxConditions + 1)
            {
                // Said once, at the first condition over the limit.
                rejections.Add(Rejection.Invalid(path, $"a query holds at most {MaxConditions} conditions"));
                valid = false;
            }

            var field = $"{path}.event_name";
            var rawName = node.GetProperty("event_name");
            EventName name = default;
            if (rawName.ValueKind != JsonValueKind.String)
            {
                rejections.Add(Rejection.WrongType(field, $"{field} must be a string"));
                valid = false;
            }
            else if (!EventName.TryParse(rawName.GetString(), field, out name, out var rejection))
            {
                rejections.Add(rejection!);
                valid = false;
            }

            foreach (var key in node.EnumerateObject().Select(p => p.Name).Where(k => k != "event_name" && !SegmentFilter.IsName(k)))
            {
                rejections.Add(Rejection.Invalid($"{path}.{key}", $"{path}.{key} is not a filter; use {string.Join(", ", SegmentFilter.Names)}"));
                valid = false;
            }

            var before = rejections.Count;
            var filter = SegmentFilter.FromJson(node, path, rejections);
            return valid && rejections.Count == before ? new DidEvent(name.Value, filter) : null;
        }
    }
}

/// <summary>A user of a search result.</summary>
internal sealed record SearchUser(string? UserId, string? Email, string IntercomUserId)
{
    [JsonPropertyOrder(-1)]
    public string Type => "user";
}

/// <summary>
/// POST /segments/search: the users matching a boolean query over segments, e.g. "placed-order more than
/// twice, and invited-friend in the last 30 days, and never cancelled-plan". The universe is every user of
/// the workspace; pages are keyset on the service id, with <c>pages.next.starting_after</c> for the next body.
/// </summary>
public static class SearchSegmentsEndpoint
{
    public const long MaxBodyBytes = 64 * 1024;

    [WolverinePost("/segments/search")]
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Post(HttpContext context, NpgsqlDataSource dataSource, SegmentIndex index, PageCursors cursors, TimeProvider clock)
    {
        var cancellation = context.RequestAborted;
        using var body = await RequestBody.ReadJsonAsync(context, MaxBodyBytes, cancellation);
        if (body.Error is not null)
        {
            return body.Error;
        }

        var search = SegmentSearch.Parse(body.Root);
        if (search.Query is null)
        {
            return ErrorList.Result(context, search.Rejections);
        }

        var workspace = context.User.WorkspaceOf();
        var scope = JsonSerializer.Serialize(new[] { workspace, "segment-search", search.Query.Canonical });
        var after = search.StartingAfter is null ? null : await cursors.DecodeAsync(scope, search.StartingAfter);
        if (search.StartingAfter is not null && after is null)
        {
            return ErrorList.Result(context, [SegmentCatalog.InvalidCursor]);
        }

        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var indexed = await index.ReadAsync(workspace, segments =>
        {
            var set = search.Query.Members(segments, now);
            return (Total: WorkspaceSegments.Count(set), Ids: segments.Page(set, after, search.PerPage + 1));
        }, cancellation);
        var found = indexed.Result;
        var (total, page, last) = indexed.Indexed
            ? (found.Total, await IndexedPageAsync(dataSource, workspace, found.Ids.Take(search.PerPage).ToList(), cancellation),
                found.Ids.Count > search.PerPage ? found.Ids[search.PerPage - 1] : null)
            : await SqlPageAsync(dataSource, workspace, search, now, after, cancellation);

        var next = last is null ? null : new { starting_after = await cursors.EncodeAsync(scope, last) };
        return ApiJson.Ok(new { type = "user.list", total_count = total, users = page, pages = new Pages(search.PerPage, next) });
    }

    /// <summary>The users of a page the index chose, described from their snapshots (a user erased since is left out).</summary>
    private static async Task<List<SearchUser>> IndexedPageAsync(NpgsqlDataSource dataSource, string workspace, List<string> ids, CancellationToken cancellation)
    {
        var identities = await SegmentCatalog.IdentitiesAsync(dataSource, workspace, ids, cancellation);
        return [.. ids.Where(identities.ContainsKey).Select(id => new SearchUser(identities[id].UserId, identities[id].Email, id))];
    }

    /// <summary>Without the index (turned off, or the workspace over its memory limit): the set computed by PostgreSQL (<see cref="Query"/>).</summary>
    private static async Task<(long Total, List<SearchUser> Page, string? Last)> SqlPageAsync(
        NpgsqlDataSource dataSource, string workspace, SegmentSearch search, long now, string? after, CancellationToken cancellation)
    {
        await using var batch = dataSource.CreateBatch();
        // The matching set is hashed in memory; at 100,000 users it outgrows the default work_mem, and PostgreSQL
        // would sort it on disk instead. Local to this batch's implicit transaction.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("select set_config('work_mem', '32MB', true)"));
        batch.BatchCommands.Add(Query(workspace, search.Query!, now, after, search.PerPage + 1).ToBatchCommand());
        await using var reader = await batch.ExecuteReaderAsync(cancellation);
        await reader.NextResultAsync(cancellation);
        var users = new List<SearchUser>(search.PerPage + 1);
        long total = 0;
        while (await reader.ReadAsync(cancellation))
        {
            total = reader.GetInt64(0);
            if (!reader.IsDBNull(1))
            {
                users.Add(new SearchUser(reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(1)));
            }
        }

        return users.Count > search.PerPage ? (total, users[..search.PerPage], users[search.PerPage - 1].IntercomUserId) : (total, users, null);
    }

    /// <summary>
    /// The matching set, computed once (<c>materialized</c>), gives both the total and one page of users after a
    /// service id, in id order; a page that is empty still yields one row, with the total and no user.
    /// </summary>
    internal static SqlQuery Query(string workspace, SegmentQuery query, long now, string? after, int limit)
    {
        var sql = new SqlBuilder();
        var tenant = sql.Parameter(workspace);
        sql.Append("with matching as materialized (select id from ");
        query.AppendSet(sql, tenant, now);
        sql.Append(" m), page as (select id from matching");
        if (after is not null)
        {
            sql.Append($" where id > {sql.Parameter(after)}");
        }

        sql.Append($" order by id limit {sql.Parameter(limit)}) ");
        sql.Append("select c.total, t.id, t.data ->> 'UserId', t.data ->> 'Email' from (select count(*) as total from matching) c ");
        sql.Append($"left join (page p join {SegmentCatalog.UserTable} t on t.tenant_id = {tenant} and t.id = p.id) on true order by t.id");
        return sql.Build();
    }
}
