using System.Security.Cryptography;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace EventStore.Api.Tracking;

/// <summary>The track command: something a user did, when, with a few typed metadata values.</summary>
public sealed record TrackEvent(UserReference Who, Occurrence What);

/// <summary>What became of a track command.</summary>
public sealed record TrackOutcome(bool IsDuplicate, Rejection? Rejection)
{
    public static readonly TrackOutcome Accepted = new(false, null);
    public static readonly TrackOutcome Duplicate = new(true, null);

    public static TrackOutcome Refused(Rejection rejection) => new(false, rejection);
}

/// <summary>Marks (user, name, created_at) as recorded in a workspace; its primary key is the de-duplication guarantee.</summary>
public sealed record RecordedOccurrence(string Id);

/// <summary>POST /events: Intercom's "submit a data event".</summary>
public static class TrackEventEndpoint
{
    /// <summary>Intercom's limit for one event body.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    [WolverinePost("/events")]
    [Authorize(Policy = Policies.Workspace)]
    public static async Task<IResult> Post(HttpContext context, IMessageBus bus, IOptions<TrackingRules> rules, TimeProvider clock)
    {
        var cancellation = context.RequestAborted;
        using var body = await RequestBody.ReadJsonAsync(context, MaxBodyBytes, cancellation);
        if (body.Error is not null)
        {
            return body.Error;
        }

        var parsed = TrackEventRequest.Parse(body.Root, rules.Value, clock.GetUtcNow());
        if (parsed.Command is null)
        {
            return ErrorList.Result(context, parsed.Rejections);
        }

        var workspace = context.User.WorkspaceOf();
        var outcome = await WriteConflicts.RetryAsync(
            () => bus.InvokeForTenantAsync<TrackOutcome>(workspace, parsed.Command, cancellation), cancellation);
        if (outcome.Rejection is not null)
        {
            return ErrorList.Result(context, [outcome.Rejection]);
        }

        if (parsed.IgnoredMetadataKeys.Count > 0)
        {
            // Intercom drops keys beyond the cap silently; we still drop them, but say which.
            context.Response.Headers["X-Metadata-Keys-Ignored"] = string.Join(",", parsed.IgnoredMetadataKeys.Select(Uri.EscapeDataString));
        }

        return Results.StatusCode(StatusCodes.Status202Accepted);
    }
}

/// <summary>
/// Decides a track command with the <see cref="UserTimeline"/> and <see cref="EventNameCatalog"/> rules and
/// stages the resulting events. Wolverine commits the Marten session after the handler returns, so the
/// endpoint answers 202 only once the event is durably stored.
/// </summary>
public static class TrackEventHandler
{
    public static async Task<TrackOutcome> Handle(TrackEvent command, IDocumentSession session, IOptions<TrackingRules> rules, CancellationToken cancellation)
    {
        var workspace = session.TenantId;
        var (who, what) = (command.Who, command.What);
        var emailKey = UserReference.EmailKey(who.Email);

        // One round trip for everything the rules need to know about the user and the workspace's names.
        var batch = session.CreateBatchQuery();
        var byId = who.IntercomUserId is null ? null : batch.Load<UserTimeline>(who.IntercomUserId);
        var byUserId = who.UserId is null ? null : batch.Query<UserTimeline>().Where(t => t.UserId == who.UserId).ToList();
        var byEmail = emailKey is null ? null : batch.Query<UserTimeline>().Where(t => t.EmailKey == emailKey).ToList();
        var catalogTask = batch.Load<EventNameCatalog>(EventNameCatalog.StreamKey);
        await batch.Execute(cancellation);

        var known = new KnownTimelines(
            byId is null ? null : await byId,
            byUserId is null ? null : (await byUserId).FirstOrDefault(),
            byEmail is null ? null : (await byEmail).FirstOrDefault());

        var resolved = UserTimeline.Resolve(workspace, who, known, NewTimelineId);
        if (!resolved.IsSuccess)
        {
            return TrackOutcome.Refused(resolved.Rejection!);
        }

        var (timeline, isNew, identityEvents) = resolved.Value!;
        var occurrenceKey = what.KeyFor(timeline.Id);
        var alreadyRecorded = !isNew && await session.LoadAsync<RecordedOccurrence>(occurrenceKey, cancellation) is not null;
        var decision = timeline.Track(workspace, what, alreadyRecorded);
        if (decision.IsDuplicate)
        {
            return TrackOutcome.Duplicate;
        }

        var catalog = await catalogTask ?? new EventNameCatalog();
        if (!catalog.Knows(what.Name))
        {
            // A new name takes a slot under the workspace cap: decide on the catalog fetched for writing,
            // so two new names arriving together cannot both take the last slot.
            var catalogStream = await session.Events.FetchForWriting<EventNameCatalog>(EventNameCatalog.StreamKey, cancellation);
            var admission = (catalogStream.Aggregate ?? new EventNameCatalog()).Admit(workspace, what.Name, rules.Value.ActiveEventNameCap);
            if (!admission.IsSuccess)
            {
                return TrackOutcome.Refused(admission.Rejection!);
            }

            if (admission.Value is { } activated)
            {
                catalogStream.AppendOne(activated);
            }
        }

        if (isNew)
        {
            session.Events.StartStream<UserTimeline>(timeline.Id, [.. identityEvents, decision.Tracked!]);
        }
        else if (identityEvents.Count > 0)
        {
            // Identity changes are checked against the stream version: nobody may have changed this user meanwhile.
            var stream = await session.Events.FetchForWriting<UserTimeline>(timeline.Id, cancellation);
            if (stream.Aggregate != known.ById && stream.Aggregate != known.ByUserId && stream.Aggregate != known.ByEmail)
            {
                throw new WriteConflictException($"Timeline {timeline.Id} changed while the command was decided");
            }

            stream.AppendMany([.. identityEvents, decision.Tracked!]);
        }
        else
        {
            // Plain tracking changes no state the rules read, so it needs no version check: concurrent
            // events for one user do not conflict, and the occurrence key below keeps them unique.
            session.Events.Append(timeline.Id, decision.Tracked!);
        }

        session.Insert(new RecordedOccurrence(occurrenceKey));
        return TrackOutcome.Accepted;
    }

    /// <summary>24 hex characters, the shape of Intercom's contact ids.</summary>
    private static string NewTimelineId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
