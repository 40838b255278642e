using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Protection;
using EventStore.Api.Summaries;
using EventStore.Api.Timelines;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Privacy;

/// <summary><c>Privacy:Export:*</c>.</summary>
public sealed class ExportOptions
{
    /// <summary>Exports of one workspace streamed at once; more are 429 until one has finished.</summary>
    public int MaxConcurrentPerWorkspace { get; set; } = 4;
}

/// <summary>The per-workspace limit of exports in flight (<see cref="ExportOptions.MaxConcurrentPerWorkspace"/>).</summary>
public sealed class ExportAdmission(IOptions<ExportOptions> options)
{
    public WorkspaceConcurrency Exports { get; } = new(options.Value.MaxConcurrentPerWorkspace);
}

/// <summary>
/// GET /users/export?(user_id|email|intercom_user_id)=...: everything stored about a user (GDPR access and
/// portability): identity, the per-name summary, imported summaries and every event, oldest first. Not paged for
/// the client, but read in pages, each on a pooled connection held only while PostgreSQL answers: a client
/// reading slowly holds a socket, never a database connection. Every page is read as of the snapshot the summary
/// was read in, so the parts agree with each other however long the transfer takes.
/// </summary>
public static class ExportUserEndpoint
{
    /// <summary>Events (and imports) read per query, and written between two flushes of the response.</summary>
    private const int PageSize = 500;

    private static readonly string Timelines = $"{EventStoreSchema.SchemaName}.mt_doc_usertimeline";

    private static readonly string SummarySql =
        $"select name, count, first_at, last_at from {EventStatsProjection.Table.QualifiedName} where tenant_id = $1 and timeline_id = $2 order by name";

    // The snapshot every page is read as of, and the stream's version in it (imports are stream events up to it).
    private static readonly string SnapshotSql =
        $"select pg_current_snapshot()::text, coalesce((select version from {EventStoreSchema.SchemaName}.mt_streams where tenant_id = $1 and id = $2), 0), " +
        $"exists (select 1 from {Timelines} where tenant_id = $1 and id = $2)";

    private static readonly string ImportsPageSql =
        $"select version, data ->> 'Name', (data ->> 'Count')::bigint, (data ->> 'First')::bigint, (data ->> 'Last')::bigint from {EventStoreSchema.SchemaName}.mt_events " +
        "where tenant_id = $1 and stream_id = $2 and type = $3 and version > $4 and version <= $5 order by version limit $6";

    private static readonly string EventsPageSql =
        $"select event_id, name, created_at, seq, metadata::text from {TimelineProjection.Table.QualifiedName} " +
        "where tenant_id = $1 and timeline_id = $2 and (created_at, seq) > ($3, $4) and pg_visible_in_snapshot(tx, $5::pg_snapshot) " +
        "order by created_at, seq limit $6";

    private static readonly string StillThereSql = $"select exists (select 1 from {Timelines} where tenant_id = $1 and id = $2)";

    [WolverineGet("/users/export")]
    // Everything about one person at once is a privacy request, like erasure: only tokens with users:erase (docs/security.md).
    [Authorize(Policy = Policies.EraseUsers)]
    public static async Task<IResult> Get(HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource, ExportAdmission admission)
    {
        var cancellation = context.RequestAborted;
        var query = new QueryParameters(context.Request.Query);
        var who = new UserReference(query.String("intercom_user_id"), query.String("user_id"), query.String("email"));
        if (who is { IntercomUserId: null, UserId: null, Email: null })
        {
            query.Reject(Rejection.Missing("user_id", "One of user_id, email or intercom_user_id is required"));
        }

        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        var workspace = context.User.WorkspaceOf();
        // Held until the response has been sent: a slow reader holds its workspace's slot, nobody else's.
        if (await admission.Exports.EnterAsync(workspace, TimeSpan.Zero, cancellation) is not { } slot)
        {
            return admission.Exports.TooMany(context, "exports");
        }

        context.Response.RegisterForDispose(slot);
        await using var session = store.QuerySession(workspace);
        var timeline = await ListUserEventsEndpoint.FindAsync(session, who, cancellation);
        var head = timeline is null ? null : await ReadHeadAsync(dataSource, workspace, timeline.Id, cancellation);
        if (timeline is null || head is null)
        {
            return ErrorList.Result(context, StatusCodes.Status404NotFound, new ApiError("not_found", "User Not Found"));
        }

        var catalog = await session.LoadAsync<EventNameCatalog>(EventNameCatalog.StreamKey, cancellation) ?? new EventNameCatalog();
        return Results.Stream(stream => WriteAsync(context, stream, dataSource, workspace, timeline, head, catalog, cancellation), "application/json; charset=utf-8");
    }

    private sealed record SummaryRow(string Name, long Count, long First, long Last);

    /// <summary>What is read in one short transaction: the summary, and the snapshot and stream version the pages are read as of.</summary>
    private sealed record ExportHead(IReadOnlyList<SummaryRow> Summary, string Snapshot, long StreamVersion);

    /// <summary>Null when the timeline was erased after it was found.</summary>
    private static async Task<ExportHead?> ReadHeadAsync(NpgsqlDataSource dataSource, string workspace, string timelineId, CancellationToken cancellation)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellation);
        // One row per event name the user has: bounded by the workspace's vocabulary.
        var summary = await Sql.ListAsync(connection, transaction, SummarySql,
            r => new SummaryRow(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)), cancellation, workspace, timelineId);
        var (snapshot, version, exists) = (await Sql.ListAsync(connection, transaction, SnapshotSql,
            r => (r.GetString(0), r.GetInt64(1), r.GetBoolean(2)), cancellation, workspace, timelineId))[0];
        await transaction.CommitAsync(cancellation);
        return exists ? new ExportHead(summary, snapshot, version) : null;
    }

    private static async Task WriteAsync(HttpContext context, Stream stream, NpgsqlDataSource dataSource, string workspace, UserTimeline timeline,
        ExportHead head, EventNameCatalog catalog, CancellationToken cancellation)
    {
        await using var writer = ApiJson.Writer(stream);
        writer.WriteStartObject();
        writer.WriteString("type", "user.export");
        writer.WriteStartObject("user");
        writer.WriteString("type", "user");
        writer.WriteString("intercom_user_id", timeline.Id);
        writer.WriteString("user_id", timeline.UserId);
        writer.WriteString("email", timeline.Email);
        writer.WriteEndObject();

        writer.WriteStartArray("summary");
        foreach (var row in head.Summary)
        {
            writer.WriteStartObject();
            writer.WriteString("name", row.Name);
            writer.WriteString("first", ApiJson.Iso8601(row.First));
            writer.WriteString("last", ApiJson.Iso8601(row.Last));
            writer.WriteNumber("count", row.Count);
            writer.WriteString("description", catalog.Find(row.Name)?.Description);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        // As sent to POST /events/summaries (Unix seconds), each import once, in the order they were recorded.
        writer.WriteStartArray("imported_summaries");
        var importType = typeof(EventSummaryImported).GetEventTypeName();
        long afterVersion = 0;
        while (true)
        {
            var page = await Sql.ListAsync(dataSource, ImportsPageSql,
                r => (Version: r.GetInt64(0), Name: r.GetString(1), Count: r.GetInt64(2), First: r.GetInt64(3), Last: r.GetInt64(4)),
                cancellation, workspace, timeline.Id, importType, afterVersion, head.StreamVersion, PageSize);
            foreach (var import in page)
            {
                writer.WriteStartObject();
                writer.WriteString("event_name", import.Name);
                writer.WriteNumber("count", import.Count);
                writer.WriteNumber("first", import.First);
                writer.WriteNumber("last", import.Last);
                writer.WriteEndObject();
            }

            await writer.FlushAsync(cancellation);
            if (page.Count < PageSize)
            {
                break;
            }

            afterVersion = page[^1].Version;
        }

        writer.WriteEndArray();

        // Last, because it is the unbounded part: the timeline's wire format, oldest first, a page at a time.
        writer.WriteStartArray("events");
        (long CreatedAt, long Seq) after = (long.MinValue, long.MinValue);
        while (true)
        {
            var page = await Sql.ListAsync(dataSource, EventsPageSql,
                r => new TimelineEntry(r.GetGuid(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4)),
                cancellation, workspace, timeline.Id, after.CreatedAt, after.Seq, head.Snapshot, PageSize);
            foreach (var entry in page)
            {
                ListUserEventsEndpoint.WriteEvent(writer, timeline, entry);
            }

            await writer.FlushAsync(cancellation);
            if (page.Count < PageSize)
            {
                break;
            }

            after = (page[^1].CreatedAt, page[^1].Seq);
        }

        // Erased while it was being sent: some pages may have come back empty. Cut the transfer rather than end
        // a document that looks complete and is not.
        if (!(bool)(await Sql.ScalarAsync(dataSource, StillThereSql, cancellation, workspace, timeline.Id))!)
        {
            context.Abort();
            return;
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellation);
    }
}
