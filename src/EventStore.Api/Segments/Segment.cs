using System.Text.Json.Serialization;
using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Summaries;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Tracking;
using Marten;
using Npgsql;

namespace EventStore.Api.Segments;

/// <summary>An event name seen as a segment: the users who did it, and how often and when they did.</summary>
internal sealed record Segment(string Name, long UserCount, long EventCount, string? First, string? Last, string? Description, bool Archived)
{
    [JsonPropertyOrder(-1)]
    public string Type => "segment";
}

/// <summary>The <c>pages</c> object of a list; <c>next</c> is absent on the last page.</summary>
internal sealed record Pages(
    int PerPage,
    // object: a URL for GET lists, a body fragment for the POST search; serialized as its runtime type.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Next)
{
    [JsonPropertyOrder(-1)]
    public string Type => "pages";
}

/// <summary>What the segment endpoints share: the workspace's names, a name from the path, the per-name aggregates.</summary>
internal static class SegmentCatalog
{
    /// <summary>Marten's table of <see cref="EventStore.Domain.Timelines.UserTimeline"/> snapshots (tenant_id, id, data jsonb).</summary>
    public const string UserTable = $"{EventStoreSchema.SchemaName}.mt_doc_usertimeline";

    public static async Task<EventNameCatalog> CatalogAsync(IDocumentStore store, string workspace, CancellationToken cancellation)
    {
        await using var session = store.QuerySession(workspace);
        return await session.LoadAsync<EventNameCatalog>(EventNameCatalog.StreamKey, cancellation) ?? new EventNameCatalog();
    }

    /// <summary>A page of the catalog's names in ordinal order after a position, and whether more follow.</summary>
    public static (IReadOnlyList<(string Name, EventNameEntry Entry)> Page, bool HasMore) PageOfNames(
        EventNameCatalog catalog, bool includeArchived, string? after, int perPage)
    {
        var names = catalog.Names
            .Where(n => includeArchived || !n.Value.Archived)
            .Where(n => after is null || string.CompareOrdinal(n.Key, after) > 0)
            .OrderBy(n => n.Key, StringComparer.Ordinal)
            .Take(perPage + 1)
            .Select(n => (n.Key, n.Value))
            .ToList();
        return names.Count > perPage ? (names[..perPage], true) : (names, false);
    }

    /// <summary>A cursor that was changed, or issued for another list or other filters.</summary>
    public static Rejection InvalidCursor { get; } =
        Rejection.Invalid("starting_after", "starting_after is not a cursor of this list with these filters; start again without it");

    /// <summary>
    /// The catalog name a path segment designates, normalized as on write (<c>Completed.Order</c> is
    /// <c>completed-order</c>): 400 when it cannot be a name, 404 when the workspace never tracked it.
    /// </summary>
    public static Result<(string Name, EventNameEntry Entry)> Resolve(EventNameCatalog catalog, string pathValue)
    {
        // Routing decodes every escape but %2F, so that a name with '/' stays one path segment.
        var raw = pathValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (!EventName.TryParse(raw, "event_name", out var name, out var rejection))
        {
            return rejection!;
        }

        return catalog.Find(name.Value) is { } entry
            ? (name.Value, entry)
            : new Rejection(RejectionKind.NotFound, "not_found", $"No event named '{name.Value}' has been tracked in this workspace", "event_name");
    }

    /// <summary>user_id and email of each of these users that still exists, by service id: one primary-key lookup per user.</summary>
    public static async Task<Dictionary<string, (string? UserId, string? Email)>> IdentitiesAsync(
        NpgsqlDataSource dataSource, string workspace, IReadOnlyList<string> ids, CancellationToken cancellation)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var rows = await Sql.ListAsync(dataSource, $"select id, data ->> 'UserId', data ->> 'Email' from {UserTable} where tenant_id = $1 and id = any($2)",
            reader => (Id: reader.GetString(0), UserId: reader.IsDBNull(1) ? null : reader.GetString(1), Email: reader.IsDBNull(2) ? null : reader.GetString(2)),
            cancellation, workspace, ids.ToArray());
        return rows.ToDictionary(r => r.Id, r => (r.UserId, r.Email), StringComparer.Ordinal);
    }

    /// <summary>Users, occurrences, first and last per name: an index-only scan of ix_event_stats_by_name.</summary>
    internal static SqlQuery StatsQuery(string workspace, IReadOnlyList<string> names)
    {
        var sql = new SqlBuilder();
        return sql.Append(
                $"select name, count(*), sum(count)::bigint, min(first_at), max(last_at) from {EventStatsProjection.Table.QualifiedName} " +
                $"where tenant_id = {sql.Parameter(workspace)} and name = any({sql.Parameter(names.ToArray())}) group by name")
            .Build();
    }

    public static async Task<IReadOnlyList<Segment>> DescribeAsync(
        NpgsqlDataSource dataSource, string workspace, IReadOnlyList<(string Name, EventNameEntry Entry)> names, CancellationToken cancellation)
    {
        var stats = new Dictionary<string, (long Users, long Events, long First, long Last)>(StringComparer.Ordinal);
        if (names.Count > 0)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellation);
            await using var command = StatsQuery(workspace, [.. names.Select(n => n.Name)]).ToCommand(connection);
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            while (await reader.ReadAsync(cancellation))
            {
                stats[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
            }
        }

        return [.. names.Select(n => stats.TryGetValue(n.Name, out var s)
            ? new Segment(n.Name, s.Users, s.Events, ApiJson.Iso8601(s.First), ApiJson.Iso8601(s.Last), n.Entry.Description, n.Entry.Archived)
            : new Segment(n.Name, 0, 0, null, null, n.Entry.Description, n.Entry.Archived))];
    }
}
