using System.Globalization;
using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Summaries;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Timelines;

/// <summary>
/// GET /events?type=user&amp;(user_id|email|intercom_user_id)=...: a user's timeline, newest first, or with
/// <c>summary=true</c> the per-name summary. Paging is keyset-based on the indexes of <c>timeline_entries</c>,
/// so a page costs the same for a user with ten events as for one with a million.
/// </summary>
public static class ListUserEventsEndpoint
{
    [WolverineGet("/events")]
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Get(HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource, PageCursors cursors)
    {
        var cancellation = context.RequestAborted;
        var query = new QueryParameters(context.Request.Query);
        var type = query.String("type");
        if (type is null)
        {
            query.Reject(Rejection.Missing("type", "type is required and must be user"));
        }
        else if (type != "user")
        {
            query.Reject(Rejection.Invalid("type", "type must be user"));
        }

        var who = new UserReference(query.String("intercom_user_id"), query.String("user_id"), query.String("email"));
        if (who is { IntercomUserId: null, UserId: null, Email: null })
        {
            query.Reject(Rejection.Missing("user_id", "One of user_id, email or intercom_user_id is required"));
        }

        var perPage = query.PerPage();
        var summary = query.Flag("summary");
        var before = query.String("before");
        var since = query.String("since");
        if (before is not null && since is not null)
        {
            query.Reject(Rejection.Invalid("since", "before and since cannot be combined"));
        }

        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        var workspace = context.User.WorkspaceOf();
        await using var session = store.QuerySession(workspace);
        var timeline = await FindAsync(session, who, cancellation);
        if (timeline is null)
        {
            return ErrorList.Result(context, StatusCodes.Status404NotFound, new ApiError("not_found", "User Not Found"));
        }

        if (summary)
        {
            return await UserSummary.ReadAsync(session, dataSource, timeline, cancellation);
        }

        var scope = $"{workspace}|timeline|{timeline.Id}";
        TimelinePage page;
        if (before is not null)
        {
            if (await cursors.DecodeAsync(scope + "|before", before) is not { } position || !TryParsePair(position, out var createdAt, out var seq))
            {
                return InvalidCursor(context, "before");
            }

            page = await TimelineQueries.BeforeAsync(dataSource, workspace, timeline.Id, createdAt, seq, perPage, cancellation);
        }
        else if (since is not null)
        {
            if (await cursors.DecodeAsync(scope + "|since", since) is not { } position || ArrivalPosition.Decode(position) is not { } arrival)
            {
                return InvalidCursor(context, "since");
            }

            page = await TimelineQueries.SinceAsync(dataSource, workspace, timeline.Id, arrival, perPage, cancellation);
        }
        else
        {
            page = await TimelineQueries.NewestAsync(dataSource, workspace, timeline.Id, perPage, cancellation);
        }

        var request = context.Request;
        var next = page.Next is { } n
            ? Links.WithQuery(request, ("before", await cursors.EncodeAsync(scope + "|before", $"{n.CreatedAt}:{n.Seq}")), ("since", null))
            : null;
        var sinceLink = Links.WithQuery(request,
            ("since", await cursors.EncodeAsync(scope + "|since", page.Since.Encode())), ("before", null));
        return Results.Stream(stream => WriteAsync(stream, timeline, page, next, sinceLink), "application/json; charset=utf-8");
    }

    /// <summary>Finds a user by the service id, else the user_id, else the email (case-insensitive).</summary>
    public static async Task<UserTimeline?> FindAsync(IQuerySession session, UserReference who, CancellationToken cancellation)
    {
        if (who.IntercomUserId is not null)
        {
            return await session.LoadAsync<UserTimeline>(who.IntercomUserId, cancellation);
        }

        if (who.UserId is not null)
        {
            return await session.Query<UserTimeline>().Where(t => t.UserId == who.UserId).FirstOrDefaultAsync(cancellation);
        }

        var emailKey = UserReference.EmailKey(who.Email);
        return await session.Query<UserTimeline>().Where(t => t.EmailKey == emailKey).FirstOrDefaultAsync(cancellation);
    }

    private static IResult InvalidCursor(HttpContext context, string field) =>
        ErrorList.Result(context, StatusCodes.Status400BadRequest,
            new ApiError("parameter_invalid", $"{field} is not a cursor this service issued for this list", field));

    private static bool TryParsePair(string position, out long first, out long second)
    {
        var parts = position.Split(':');
        first = second = 0;
        return parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out first)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out second);
    }

    /// <summary>One event in the timeline's wire format (also the export's): metadata exactly as sent.</summary>
    public static void WriteEvent(System.Text.Json.Utf8JsonWriter writer, UserTimeline timeline, TimelineEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "event");
        writer.WriteString("id", entry.EventId.ToString("N"));
        writer.WriteString("event_name", entry.Name);
        writer.WriteNumber("created_at", entry.CreatedAt);
        writer.WriteString("user_id", timeline.UserId);
        writer.WriteString("email", timeline.Email);
        writer.WriteString("intercom_user_id", timeline.Id);
        writer.WritePropertyName("metadata");
        writer.WriteRawValue(entry.MetadataJson, skipInputValidation: true);
        writer.WriteEndObject();
    }

    private static async Task WriteAsync(Stream stream, UserTimeline timeline, TimelinePage page, string? next, string since)
    {
        await using var writer = ApiJson.Writer(stream);
        writer.WriteStartObject();
        writer.WriteString("type", "event.list");
        writer.WriteStartArray("events");
        foreach (var entry in page.Entries)
        {
            WriteEvent(writer, timeline, entry);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("pages");
        writer.WriteString("type", "pages");
        if (next is not null)
        {
            writer.WriteString("next", next);
        }

        writer.WriteString("since", since);
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync();
    }
}
