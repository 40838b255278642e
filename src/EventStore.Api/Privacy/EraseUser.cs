using System.Globalization;
using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Api.Protection;
using EventStore.Api.Summaries;
using EventStore.Api.Timelines;
using EventStore.Api.Tracking;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.Privacy;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Weasel.Postgresql.Functions;
using Wolverine.Http;

namespace EventStore.Api.Privacy;

/// <summary>
/// POST /users/erase with <c>{"user_id": ...}</c>, <c>{"email": ...}</c> or <c>{"intercom_user_id": ...}</c>:
/// removes the user from the caller's workspace, events and every read model, in one transaction, and
/// leaves an audit record without personal data (<see cref="UserErased"/>). See ADR 0010.
/// </summary>
public static class EraseUserEndpoint
{
    [WolverinePost("/users/erase")]
    [Authorize(Policy = Policies.EraseUsers)]
    public static async Task<IResult> Post(HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource, TimeProvider clock)
    {
        var cancellation = context.RequestAborted;
        using var body = await RequestBody.ReadJsonAsync(context, 64 * 1024, cancellation);
        if (body.Error is not null)
        {
            return body.Error;
        }

        var rejections = new List<Rejection>();
        var who = ErasureRequest.Parse(body.Root, rejections);
        if (who is null)
        {
            return ErrorList.Result(context, rejections);
        }

        var workspace = context.User.WorkspaceOf();
        var removed = await WriteConflicts.RetryAsync(workspace,
            () => UserErasure.EraseAsync(store, dataSource, workspace, who, clock.GetUtcNow(), context.Features.Get<ClaimedKey>()?.ClaimId, cancellation), cancellation);
        return removed is { } count
            ? ApiJson.Ok(new { type = "user.erasure", erased = true, events_removed = count })
            : ErrorList.Result(context, StatusCodes.Status404NotFound, new ApiError("not_found", "User Not Found"));
    }
}

/// <summary>Reads who is to be erased: one of <c>user_id</c>, <c>email</c>, <c>intercom_user_id</c> (the names GET /events uses).</summary>
public static class ErasureRequest
{
    public static UserReference? Parse(JsonElement body, List<Rejection> rejections)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            rejections.Add(Rejection.WrongType("body", "The request body must be a JSON object"));
            return null;
        }

        return UserReferenceRequest.Parse(body, rejections, serviceIdField: "intercom_user_id");
    }
}

/// <summary>
/// The erasure itself: one transaction that locks the user's timeline (its <c>mt_streams</c> row, then its
/// <see cref="UserTimeline"/> snapshot), deletes every row that holds the user, and appends the audit event.
/// Writers appending to the same timeline either committed before the lock (their events are erased too) or
/// fail the <see cref="ErasedTimelineGuard"/> and are decided again, onto a fresh timeline.
/// </summary>
public static class UserErasure
{
    private const string Schema = EventStoreSchema.SchemaName;
    private static readonly string Timelines = $"{Schema}.mt_doc_usertimeline";
    private static readonly string Occurrences = OccurrenceKeys.Table.QualifiedName;

    /// <summary>
    /// Erases the user and returns how many tracked events were removed, or null when nobody has that identifier.
    /// <paramref name="ownClaim"/>: the erasing request's <c>Idempotency-Key</c> claim, if any, which is kept.
    /// </summary>
    public static async Task<long?> EraseAsync(IDocumentStore store, NpgsqlDataSource dataSource, string workspace, UserReference who, DateTimeOffset now,
        Guid? ownClaim, CancellationToken cancellation)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellation);
        // Like an append, take the event log's writer lock first: an online rebuild (ADR 0011) holds writers off with
        // it before it touches the read-model tables, so taking it late could deadlock with the rebuild's switch.
        await Sql.ExecuteAsync(connection, transaction, $"lock table {Schema}.mt_events in row exclusive mode", cancellation);

        if (await FindAsync(connection, transaction, workspace, who, cancellation) is not { } timelineId)
        {
            return null;
        }

        // Lock order: the stream row first, then the snapshot (see ADR 0010). An append holding the stream row
        // finishes first and its events are erased with the rest; one that comes later finds no timeline.
        await Sql.ExecuteAsync(connection, transaction, $"select 1 from {Schema}.mt_streams where tenant_id = $1 and id = $2 for update", cancellation, workspace, timelineId);
        if (await LockSnapshotAsync(connection, transaction, workspace, timelineId, cancellation) is not { } locked)
        {
            // Erased by a concurrent request while this one waited.
            return null;
        }

        if (!Matches(locked, who))
        {
            // The identifier moved to another timeline while this request waited (an email replaced): decide again.
            throw new WriteConflictException($"Timeline {timelineId} changed identity while it was being erased");
        }

        var tracked = EventTypeName<EventTracked>();
        var imported = EventTypeName<EventSummaryImported>();
        var removed = Convert.ToInt64(await Sql.ScalarAsync(connection, transaction,
            $"select count(*) from {Schema}.mt_events where tenant_id = $1 and stream_id = $2 and type = $3", cancellation, workspace, timelineId, tracked), CultureInfo.InvariantCulture);

        // Occurrence keys (ADR 0004) are rebuilt from the events they were written with, so each is deleted by its
        // primary key: "{timeline}|{name}|{created_at}" and "summary|{timeline}|{name}|{count}|{first}|{last}".
        await Sql.ExecuteAsync(connection, transaction,
            $"delete from {Occurrences} o using (" +
            $"select $2 || '|' || (e.data ->> 'Name') || '|' || (e.data ->> 'CreatedAt') as id from {Schema}.mt_events e where e.tenant_id = $1 and e.stream_id = $2 and e.type = $3 " +
            "union all " +
            "select 'summary|' || $2 || '|' || (e.data ->> 'Name') || '|' || (e.data ->> 'Count') || '|' || (e.data ->> 'First') || '|' || (e.data ->> 'Last') " +
            $"from {Schema}.mt_events e where e.tenant_id = $1 and e.stream_id = $2 and e.type = $4" +
            ") k where o.tenant_id = $1 and o.id = k.id",
            cancellation, workspace, timelineId, tracked, imported);
        foreach (var model in ReadModels.Tables)
        {
            await model.ForgetTimeline(connection, transaction, workspace, timelineId, cancellation);
        }

        await Sql.ExecuteAsync(connection, transaction, $"delete from {Schema}.mt_events where tenant_id = $1 and stream_id = $2", cancellation, workspace, timelineId);
        await Sql.ExecuteAsync(connection, transaction, $"delete from {Schema}.mt_streams where tenant_id = $1 and id = $2", cancellation, workspace, timelineId);
        await Sql.ExecuteAsync(connection, transaction, $"delete from {Timelines} where tenant_id = $1 and id = $2", cancellation, workspace, timelineId);
        // Responses kept for Idempotency-Key replays (a segment search lists users) must not bring the user back.
        await IdempotencyKeys.ForgetResponsesMentioningAsync(connection, transaction, workspace, Mentions(timelineId, locked), ownClaim, cancellation);

        // The audit record, through Marten on the same transaction (Marten does not commit it: we do).
        var options = Marten.Services.SessionOptions.ForTransaction(transaction, shouldAutoCommit: false);
        options.TenantId = workspace;
        await using (var session = store.LightweightSession(options))
        {
            session.Events.Append(UserErased.StreamKey, new UserErased(workspace, now, removed));
            await session.SaveChangesAsync(cancellation);
        }

        await transaction.CommitAsync(cancellation);
        return removed;
    }

    private static async Task<string?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string workspace, UserReference who, CancellationToken cancellation)
    {
        // The same precedence as GET /events: the service id, else user_id, else email; each lookup index-backed.
        var (condition, value) = who.IntercomUserId is not null ? ("id = $2", who.IntercomUserId)
            : who.UserId is not null ? ("data ->> 'UserId' = $2", who.UserId)
            : ("data ->> 'EmailKey' = $2", UserReference.EmailKey(who.Email)!);
        await using var command = new NpgsqlCommand($"select id from {Timelines} where tenant_id = $1 and {condition}", connection, transaction);
        command.Parameters.AddWithValue(workspace);
        command.Parameters.AddWithValue(value);
        return await command.ExecuteScalarAsync(cancellation) as string;
    }

    private static async Task<LockedSnapshot?> LockSnapshotAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string workspace, string timelineId, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(
            $"select data ->> 'UserId', data ->> 'EmailKey', data ->> 'Email' from {Timelines} where tenant_id = $1 and id = $2 for update", connection, transaction);
        command.Parameters.AddWithValue(workspace);
        command.Parameters.AddWithValue(timelineId);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        return await reader.ReadAsync(cancellation)
            ? new LockedSnapshot(reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2))
            : null;
    }

    private sealed record LockedSnapshot(string? UserId, string? EmailKey, string? Email);

    /// <summary>How a response names the user: the service id as is, user_id and email as JSON properties written by <see cref="ApiJson"/>.</summary>
    private static IEnumerable<string> Mentions(string timelineId, LockedSnapshot user)
    {
        yield return timelineId;
        if (user.UserId is not null)
        {
            yield return "\"user_id\":" + JsonSerializer.Serialize(user.UserId, ApiJson.Options);
        }

        if (user.Email is not null)
        {
            yield return "\"email\":" + JsonSerializer.Serialize(user.Email, ApiJson.Options);
        }
    }

    private static bool Matches(LockedSnapshot locked, UserReference who) =>
        who.IntercomUserId is not null
        || (who.UserId is not null ? locked.UserId == who.UserId : locked.EmailKey == UserReference.EmailKey(who.Email));

    /// <summary>The <c>mt_events.type</c> of an event (Marten's default naming, which this store uses).</summary>
    private static string EventTypeName<T>() => typeof(T).GetEventTypeName();
}

/// <summary>
/// The writers' half of the erasure protocol: a transaction that appends to existing timelines without a version
/// check also key-share-locks their <see cref="UserTimeline"/> snapshots and fails with a serialization failure
/// (40001, a write conflict: the command is decided again) when one of them is gone. So an append can never
/// recreate the stream of an erased timeline, and never leaves events, entries or stats without their user.
/// </summary>
public static class ErasedTimelineGuard
{
    public const string FunctionName = $"{EventStoreSchema.SchemaName}.require_user_timelines";

    // Written as pg_get_functiondef prints it, so that schema validation (db-assert) sees no difference.
    public static Function Definition() => Function.ForSql(
        $"""
        CREATE OR REPLACE FUNCTION {FunctionName}(tenant text, ids text[])
         RETURNS boolean
         LANGUAGE plpgsql
        AS $function$
        declare
            present integer;
        begin
            select count(*) into present from (
                select 1 from {EventStoreSchema.SchemaName}.mt_doc_usertimeline
                where tenant_id = tenant and id = any(ids) order by id for key share) locked;
            if present < cardinality(ids) then
                raise exception 'A user timeline was erased while events were appended to it' using errcode = '40001';
            end if;
            return true;
        end;
        $function$;
        """);

    /// <summary>Queues the check for the existing timelines this session appends to (none: nothing queued).</summary>
    public static void Require(IDocumentSession session, IEnumerable<string> existingTimelineIds)
    {
        var ids = existingTimelineIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (ids.Length > 0)
        {
            CheckCalls.Queue(session, $"{FunctionName}(?, ?)", session.TenantId, ids);
        }
    }
}
