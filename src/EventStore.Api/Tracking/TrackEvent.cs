using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Telemetry;
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
public sealed record TrackEvent(UserReference Who, Occurrence What)
{
    /// <summary>
    /// What logs show of the command (Wolverine logs "Invocation of {Message} failed!" with it): its event name
    /// only, never the user's identifiers or metadata values.
    /// </summary>
    public override string ToString() => $"TrackEvent {{ event_name = {What.Name.Value}, metadata keys = {What.Metadata.Count} }}";
}

/// <summary>What became of a track command.</summary>
public sealed record TrackOutcome(bool IsDuplicate, Rejection? Rejection)
{
    public static readonly TrackOutcome Accepted = new(false, null);
    public static readonly TrackOutcome Duplicate = new(true, null);

    /// <summary>Valid, but not stored because another command of its atomic group was refused.</summary>
    public static readonly TrackOutcome NotStored = new(false, null) { Stored = false };

    /// <summary>False only for <see cref="NotStored"/>.</summary>
    public bool Stored { get; init; } = true;

    public static TrackOutcome Refused(Rejection rejection) => new(false, rejection) { Stored = false };
}


/// <summary>POST /events: Intercom's "submit a data event".</summary>
public static class TrackEventEndpoint
{
    /// <summary>Intercom's limit for one event body.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    [WolverinePost("/events")]
    [Authorize(Policy = Policies.WriteEvents)]
    public static async Task<IResult> Post(HttpContext context, IMessageBus bus, IOptions<TrackingRules> rules, TimeProvider clock)
    {
        var cancellation = context.RequestAborted;
        var workspace = context.User.WorkspaceOf();
        using var body = await RequestBody.ReadJsonAsync(context, MaxBodyBytes, cancellation);
        if (body.Error is not null)
        {
            return EventStoreMetrics.RejectedBody(body.Error, workspace);
        }

        var parsed = TrackEventRequest.Parse(body.Root, rules.Value, clock.GetUtcNow());
        if (parsed.Command is null)
        {
            EventStoreMetrics.Rejected(workspace, parsed.Rejections[0].Code);
            return ErrorList.Result(context, parsed.Rejections);
        }

        // Accepted, duplicate and refused commands are counted by the EventCommitter once committed. A client that
        // hangs up does not stop the wait: its command is committed anyway, and an abandoned wait would surface as a
        // failed handler (an error in the log) for what is only a closed connection.
        var outcome = await bus.InvokeForTenantAsync<TrackOutcome>(workspace, parsed.Command, CancellationToken.None);
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
/// Hands the track command to the <see cref="EventCommitter"/>, which decides it with the
/// <see cref="UserTimeline"/> and <see cref="EventNameCatalog"/> rules together with whatever other
/// commands arrived meanwhile and commits them in one transaction; the endpoint answers 202 only once
/// that transaction has committed.
/// </summary>
public static class TrackEventHandler
{
    public static async Task<TrackOutcome> Handle(TrackEvent command, IMessageContext context, EventCommitter committer, CancellationToken cancellation) =>
        (await committer.CommitAsync(context.TenantId!, new TrackingWork([command], Atomic: false), cancellation))[0];
}
