using EventStore.Domain.Tracking;

namespace EventStore.Domain.Timelines;

// Events of a user's timeline stream. Each carries everything a projection needs, so that read
// models are built from the event alone and never look anything up elsewhere.

/// <summary>The first event for a user nobody had seen: the service assigned the timeline id (Intercom's contact id).</summary>
public sealed record UserTimelineStarted(string Workspace, string TimelineId, string? UserId, string? Email);

/// <summary>A timeline known only by email (or service id) learnt the customer's own user_id.</summary>
public sealed record UserIdAttached(string Workspace, string TimelineId, string UserId);

/// <summary>A timeline's email was set or replaced; the previous one, if any, is free for other users again.</summary>
public sealed record EmailAttached(string Workspace, string TimelineId, string Email, string? PreviousEmail);

/// <summary>A user did something: the tracked event itself, with its name normalized and its metadata typed.</summary>
public sealed record EventTracked(
    string Workspace,
    string TimelineId,
    string Name,
    string RawName,
    long CreatedAt,
    IReadOnlyList<MetadataEntry> Metadata,
    string? UserId,
    string? Email);

/// <summary>
/// History brought in without raw events (Intercom's summary import): the user did <c>Name</c>
/// <c>Count</c> times between <c>First</c> and <c>Last</c> (Unix seconds). Read models merge it with tracked events.
/// </summary>
public sealed record EventSummaryImported(
    string Workspace,
    string TimelineId,
    string Name,
    long Count,
    long First,
    long Last,
    string? UserId,
    string? Email);
