using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Summaries;
using EventStore.Api.Timelines;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Privacy;

/// <summary>
/// GET /users/export?(user_id|email|intercom_user_id)=...: everything stored about a user (GDPR access and
/// portability): identity, the per-name summary, imported summaries and every event, oldest first. Not paged:
/// the events are streamed from one read-only snapshot, so the parts agree with each other however long it takes.
/// </summary>
public static class ExportUserEndpoint
{
    /// <summary>Events written between two flushes of the response.</summary>
    private const int FlushEvery = 500;

    private static readonly string SummarySql =
        $"select name, count, first_at, last_at from {EventStatsProjection.Table.QualifiedName} where tenant_id = $1 and timeline_id = $2 order by name";

    private static readonly string ImportsSql =
        $"select data ->> 'Name', (data ->> 'Count')::bigint, (data ->> 'First')::bigint, (data ->> 'Last')::bigint from {Persistence.EventStoreSchema.SchemaName}.mt_events " +
        "where tenant_id = $1 and stream_id = $2 and type = $3 order by version";

    private static readonly string EventsSql =
        $"select event_id, name, created_at, metadata::text from {TimelineProjection.Table.QualifiedName} " +
        "where tenant_id = $1 and timeline_id = $2 order by created_at, seq";

    [WolverineGet("/users/export")]
    // The same data GET /events and summaries serve, in one document: readers of the workspace may export.
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Get(HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource)
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
        await using var session = store.QuerySession(workspace);
        var timeline = await ListUserEventsEndpoint.FindAsync(session, who, cancellation);
        if (timeline is null)
        {
            return ErrorList.Result(context, StatusCodes.Status404NotFound, new ApiError("not_found", "User Not Found"));
        }

        var catalog = await session.LoadAsync<EventNameCatalog>(EventNameCatalog.StreamKey, cancellation) ?? new EventNameCatalog();
        return Results.Stream(stream => WriteAsync(stream, dataSource, workspace, timeline, catalog, cancellation), "application/json; charset=utf-8");
    }

    private static async Task WriteAsync(Stream stream, NpgsqlDataSource dataSource, string workspace, UserTimeline timeline, EventNameCatalog catalog, CancellationToken cancellation)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellation);
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
        await foreach (var reader in ReadAsync(connection, transaction, SummarySql, cancellation, workspace, timeline.Id))
        {
            var name = reader.GetString(0);
            writer.WriteStartObject();
            writer.WriteString("name", name);
            writer.WriteString("first", ApiJson.Iso8601(reader.GetInt64(2)));
            writer.WriteString("last", ApiJson.Iso8601(reader.GetInt64(3)));
            writer.WriteNumber("count", reader.GetInt64(1));
            writer.WriteString("description", catalog.Find(name)?.Description);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        // As sent to POST /events/summaries (Unix seconds), each import once.
        writer.WriteStartArray("imported_summaries");
        await foreach (var reader in ReadAsync(connection, transaction, ImportsSql, cancellation, workspace, timeline.Id, typeof(EventSummaryImported).GetEventTypeName()))
        {
            writer.WriteStartObject();
            writer.WriteString("event_name", reader.GetString(0));
            writer.WriteNumber("count", reader.GetInt64(1));
            writer.WriteNumber("first", reader.GetInt64(2));
            writer.WriteNumber("last", reader.GetInt64(3));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        // Last, because it is the unbounded part: the timeline's wire format, oldest first, flushed as it goes.
        writer.WriteStartArray("events");
        var written = 0;
        await foreach (var reader in ReadAsync(connection, transaction, EventsSql, cancellation, workspace, timeline.Id))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "event");
            writer.WriteString("id", reader.GetGuid(0).ToString("N"));
            writer.WriteString("event_name", reader.GetString(1));
            writer.WriteNumber("created_at", reader.GetInt64(2));
            writer.WriteString("user_id", timeline.UserId);
            writer.WriteString("email", timeline.Email);
            writer.WriteString("intercom_user_id", timeline.Id);
            writer.WritePropertyName("metadata");
            writer.WriteRawValue(reader.GetString(3), skipInputValidation: true);
            writer.WriteEndObject();
            if (++written % FlushEvery == 0)
            {
                await writer.FlushAsync(cancellation);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellation);
        await transaction.CommitAsync(cancellation);
    }

    private static async IAsyncEnumerable<NpgsqlDataReader> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation))
        {
            yield return reader;
        }
    }
}
