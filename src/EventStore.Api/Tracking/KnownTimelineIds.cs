using System.Collections.Concurrent;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;

namespace EventStore.Api.Tracking;

/// <summary>
/// The timeline each user_id and email had when this node last read it. A group commit uses it to lock its users'
/// streams and read their occurrence keys in the same round trip as the users themselves, or to decide a group of
/// known users before reading anything (<see cref="TrackingBatch"/>). Only a guess: the group checks it against the
/// users it reads or finds under its locks, and is decided again without it when it was wrong (an email moved, a
/// user erased). Bounded: emptied when it reaches its capacity.
/// </summary>
public sealed class KnownTimelineIds(int capacity = KnownTimelineIds.DefaultCapacity)
{
    /// <summary>About 15 MB of strings, timelines and entries.</summary>
    public const int DefaultCapacity = 50_000;

    private readonly ConcurrentDictionary<string, UserTimeline> timelines = new(StringComparer.Ordinal);
    private int added;

    /// <summary>The timeline every identifier of <paramref name="who"/> points to, or null when one is unknown or they disagree.</summary>
    public string? Guess(string workspace, UserReference who)
    {
        string? guess = who.IntercomUserId;
        foreach (var key in Keys(workspace, who.UserId, UserReference.EmailKey(who.Email)))
        {
            if (!timelines.TryGetValue(key, out var timeline) || (guess is not null && guess != timeline.Id))
            {
                return null;
            }

            guess = timeline.Id;
        }

        return guess;
    }

    /// <summary>
    /// The timelines the user_id and email of <paramref name="who"/> pointed to when last read, as they were then; null when
    /// the command names the user by the service's id, or when one of its identifiers is unknown to this node.
    /// </summary>
    public KnownTimelines? Timelines(string workspace, UserReference who)
    {
        if (who.IntercomUserId is not null || (who.UserId is null && who.Email is null))
        {
            return null;
        }

        UserTimeline? byUserId = null, byEmail = null;
        if (who.UserId is not null && !timelines.TryGetValue(Key(workspace, 'u', who.UserId), out byUserId))
        {
            return null;
        }

        if (UserReference.EmailKey(who.Email) is { } email && !timelines.TryGetValue(Key(workspace, 'e', email), out byEmail))
        {
            return null;
        }

        return new KnownTimelines(null, byUserId, byEmail);
    }

    /// <summary>Records what the database says now: each identifier the commands used points to its stored timeline, or to none.</summary>
    public void Learn(string workspace, UserReference who, UserTimeline? byUserId, UserTimeline? byEmail)
    {
        Set(who.UserId is null ? null : Key(workspace, 'u', who.UserId), byUserId);
        Set(UserReference.EmailKey(who.Email) is { } email ? Key(workspace, 'e', email) : null, byEmail);
    }

    /// <summary>Records a timeline this node is starting (an unsuccessful commit leaves a wrong guess, corrected when next read).</summary>
    public void Learn(string workspace, UserTimeline started) => Learn(workspace, new UserReference(null, started.UserId, started.Email), started, started);

    private void Set(string? key, UserTimeline? timeline)
    {
        if (key is null)
        {
            return;
        }

        if (timeline is null)
        {
            timelines.TryRemove(key, out _);
            return;
        }

        if (timelines.TryGetValue(key, out var known) && known == timeline)
        {
            return;
        }

        if (!timelines.ContainsKey(key) && Interlocked.Increment(ref added) > capacity)
        {
            timelines.Clear();
            Interlocked.Exchange(ref added, 1);
        }

        timelines[key] = timeline;
    }

    private static IEnumerable<string> Keys(string workspace, string? userId, string? emailKey)
    {
        if (userId is not null)
        {
            yield return Key(workspace, 'u', userId);
        }

        if (emailKey is not null)
        {
            yield return Key(workspace, 'e', emailKey);
        }
    }

    private static string Key(string workspace, char kind, string value) => $"{workspace}\u001f{kind}\u001f{value}";
}
