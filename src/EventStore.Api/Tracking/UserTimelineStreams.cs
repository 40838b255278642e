using System.Security.Cryptography;
using EventStore.Api.Persistence;
using EventStore.Api.Privacy;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;
using Marten;

namespace EventStore.Api.Tracking;

/// <summary>What the write-side rules read before deciding a command about one user.</summary>
public sealed record WriteState(KnownTimelines Known, EventNameCatalog Catalog);

/// <summary>
/// Loading and appending user timelines and the workspace's event-name catalog on a Marten session: the
/// plumbing every command about a user shares, so that handlers only decide.
/// </summary>
public static class UserTimelineStreams
{
    /// <summary>One round trip for everything the rules need to know about the user and the workspace's names.</summary>
    public static async Task<WriteState> LoadAsync(IDocumentSession session, UserReference who, CancellationToken cancellation)
    {
        var emailKey = UserReference.EmailKey(who.Email);
        var batch = session.CreateBatchQuery();
        var byId = who.IntercomUserId is null ? null : batch.Load<UserTimeline>(who.IntercomUserId);
        var byUserId = who.UserId is null ? null : batch.Query<UserTimeline>().Where(t => t.UserId == who.UserId).ToList();
        var byEmail = emailKey is null ? null : batch.Query<UserTimeline>().Where(t => t.EmailKey == emailKey).ToList();
        var catalog = batch.Load<EventNameCatalog>(EventNameCatalog.StreamKey);
        await batch.Execute(cancellation);

        var known = new KnownTimelines(
            byId is null ? null : await byId,
            byUserId is null ? null : (await byUserId).FirstOrDefault(),
            byEmail is null ? null : (await byEmail).FirstOrDefault());
        return new WriteState(known, await catalog ?? new EventNameCatalog());
    }

    public static Result<ResolvedTimeline> Resolve(IDocumentSession session, UserReference who, KnownTimelines known) =>
        UserTimeline.Resolve(session.TenantId, who, known, NewTimelineId);

    /// <summary>
    /// Stages the events of a resolved timeline: a new stream, identity changes checked against the stream
    /// version, or plain appends that need no version check (concurrent events for one user don't conflict).
    /// </summary>
    public static async Task AppendAsync(IDocumentSession session, KnownTimelines known, ResolvedTimeline resolved, IReadOnlyList<object> events, CancellationToken cancellation)
    {
        var (timeline, isNew, identityEvents) = resolved;
        if (isNew)
        {
            session.Events.StartStream<UserTimeline>(timeline.Id, [.. identityEvents, .. events]);
            return;
        }

        // A timeline erased since it was read must not get its stream back (ADR 0010): fail, and decide again.
        ErasedTimelineGuard.Require(session, [timeline.Id]);
        if (identityEvents.Count > 0)
        {
            var stream = await session.Events.FetchForWriting<UserTimeline>(timeline.Id, cancellation);
            if (stream.Aggregate != known.ById && stream.Aggregate != known.ByUserId && stream.Aggregate != known.ByEmail)
            {
                throw new WriteConflictException($"Timeline {timeline.Id} changed while the command was decided");
            }

            stream.AppendMany([.. identityEvents, .. events]);
        }
        else
        {
            session.Events.Append(timeline.Id, [.. events]);
        }
    }

    /// <summary>
    /// Lets known names through and activates new ones while the workspace has free slots. New names are
    /// decided on the catalog fetched for writing, so two new names arriving together cannot both take the last slot.
    /// </summary>
    public static async Task<Rejection?> AdmitNamesAsync(IDocumentSession session, EventNameCatalog catalog, IReadOnlyCollection<EventName> names, int activeNameCap, CancellationToken cancellation)
    {
        if (names.All(catalog.Knows))
        {
            return null;
        }

        var stream = await session.Events.FetchForWriting<EventNameCatalog>(EventNameCatalog.StreamKey, cancellation);
        var current = stream.Aggregate ?? new EventNameCatalog();
        foreach (var name in names.Distinct())
        {
            var admission = current.Admit(session.TenantId, name, activeNameCap);
            if (!admission.IsSuccess)
            {
                return admission.Rejection;
            }

            if (admission.Value is { } activated)
            {
                stream.AppendOne(activated);
                current = current.Apply(activated);
            }
        }

        return null;
    }

    /// <summary>24 hex characters, the shape of Intercom's contact ids.</summary>
    private static string NewTimelineId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
