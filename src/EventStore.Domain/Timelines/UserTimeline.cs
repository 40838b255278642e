using EventStore.Domain.Tracking;

namespace EventStore.Domain.Timelines;

/// <summary>Who the caller says the user is: at least one of the service-assigned id, the customer's user_id, an email.</summary>
public sealed record UserReference(string? IntercomUserId, string? UserId, string? Email)
{
    public static string? EmailKey(string? email) => email?.Trim().ToLowerInvariant();
}

/// <summary>What the user did, already validated.</summary>
public sealed record Occurrence(EventName Name, string RawName, long CreatedAt, IReadOnlyList<MetadataEntry> Metadata)
{
    /// <summary>The de-duplication key inside one workspace: (user, normalized name, created_at).</summary>
    public string KeyFor(string timelineId) => $"{timelineId}|{Name.Value}|{CreatedAt}";
}

/// <summary>Timelines found for each identifier of a <see cref="UserReference"/> (null: no timeline has it).</summary>
public sealed record KnownTimelines(UserTimeline? ById, UserTimeline? ByUserId, UserTimeline? ByEmail);

/// <summary>The timeline a command lands on, and the identity events that must be recorded first.</summary>
public sealed record ResolvedTimeline(UserTimeline Timeline, bool IsNew, IReadOnlyList<object> IdentityEvents);

/// <summary>
/// The write-side state of one user's timeline (one event stream per user). It holds only identity,
/// so loading it costs the same for a user with one event as for one with a million: de-duplication
/// is a keyed lookup, not a scan of the history.
/// </summary>
public sealed record UserTimeline
{
    /// <summary>The service-assigned id (Intercom's contact id, <c>intercom_user_id</c> on the wire) and the stream key.</summary>
    public required string Id { get; init; }

    public string? UserId { get; init; }

    /// <summary>The email as last sent.</summary>
    public string? Email { get; init; }

    /// <summary>The email in the form it is matched on (trimmed, lower case); unique per workspace.</summary>
    public string? EmailKey { get; init; }

    public static UserTimeline Create(UserTimelineStarted started) =>
        new() { Id = started.TimelineId, UserId = started.UserId, Email = started.Email, EmailKey = UserReference.EmailKey(started.Email) };

    public UserTimeline Apply(UserIdAttached attached) => this with { UserId = attached.UserId };

    public UserTimeline Apply(EmailAttached attached) => this with { Email = attached.Email, EmailKey = UserReference.EmailKey(attached.Email) };

    public UserTimeline Evolve(object @event) => @event switch
    {
        UserIdAttached e => Apply(e),
        EmailAttached e => Apply(e),
        _ => this,
    };

    /// <summary>
    /// Finds the timeline a command is about, or starts one. Rules:
    /// the service id must exist (404 otherwise); a user_id or email nobody has starts a new timeline;
    /// an email belongs to at most one user_id, so an email owned by another user is a conflict (409);
    /// a timeline with a user_id never changes it; an email sent with a user_id becomes that user's email.
    /// </summary>
    public static Result<ResolvedTimeline> Resolve(string workspace, UserReference who, KnownTimelines known, Func<string> newTimelineId)
    {
        UserTimeline? target;
        if (who.IntercomUserId is not null)
        {
            target = known.ById;
            if (target is null)
            {
                return new Rejection(RejectionKind.NotFound, "not_found", "User Not Found", "id");
            }

            if (who.UserId is not null && known.ByUserId is not null && known.ByUserId.Id != target.Id)
            {
                return Conflict("user_id", "user_id belongs to a different user than id");
            }
        }
        else
        {
            target = who.UserId is not null ? known.ByUserId : known.ByEmail;
        }

        var emailOwner = who.Email is null ? null : known.ByEmail;
        if (emailOwner is not null && target is not null && emailOwner.Id != target.Id)
        {
            return Conflict("email", "email already belongs to another user");
        }

        if (target is null && emailOwner is not null)
        {
            // Only reachable with a user_id nobody has and an email somebody has.
            if (emailOwner.UserId is not null)
            {
                return Conflict("email", "email already belongs to another user");
            }

            target = emailOwner;
        }

        if (target is null)
        {
            var started = new UserTimelineStarted(workspace, newTimelineId(), who.UserId, who.Email);
            return new ResolvedTimeline(Create(started), IsNew: true, [started]);
        }

        var events = new List<object>();
        if (who.UserId is not null && target.UserId != who.UserId)
        {
            if (target.UserId is not null)
            {
                return Conflict("user_id", "this user already has a different user_id");
            }

            events.Add(new UserIdAttached(workspace, target.Id, who.UserId));
        }

        if (who.Email is not null && target.EmailKey != UserReference.EmailKey(who.Email))
        {
            events.Add(new EmailAttached(workspace, target.Id, who.Email, target.Email));
        }

        var timeline = events.Aggregate(target, (state, e) => state.Evolve(e));
        return new ResolvedTimeline(timeline, IsNew: false, events);
    }

    /// <summary>Records an occurrence unless the same (name, created_at) is already on this timeline: the first write wins.</summary>
    public TrackDecision Track(string workspace, Occurrence occurrence, bool alreadyRecorded) =>
        alreadyRecorded
            ? TrackDecision.Duplicate
            : TrackDecision.Record(new EventTracked(
                workspace, Id, occurrence.Name.Value, occurrence.RawName, occurrence.CreatedAt, occurrence.Metadata, UserId, Email));

    /// <summary>Records imported history unless the very same summary was imported before.</summary>
    public EventSummaryImported? Import(string workspace, ImportedSummary summary, bool alreadyImported) =>
        alreadyImported
            ? null
            : new EventSummaryImported(workspace, Id, summary.Name.Value, summary.Count, summary.First, summary.Last, UserId, Email);

    private static Rejection Conflict(string field, string message) => new(RejectionKind.Conflict, "conflict", message, field);
}

/// <summary>Either a new event to record, or the knowledge that it is a repeat.</summary>
public sealed record TrackDecision(EventTracked? Tracked)
{
    public static readonly TrackDecision Duplicate = new((EventTracked?)null);

    public bool IsDuplicate => Tracked is null;

    public static TrackDecision Record(EventTracked tracked) => new(tracked);
}
