using System.Collections.Concurrent;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;

namespace EventStore.Api.Tracking;

/// <summary>
/// The timeline each user_id and email had when this node last read it. A group commit uses it to lock its users'
/// streams and read their occurrence keys in the same round trip as the users themselves (<see cref="TrackingBatch"/>).
/// Only a guess: the group checks it against the users it then reads under those locks, and is decided again without
/// it when it was wrong (an email moved, a user erased). Bounded: emptied when it reaches its capacity.
/// </summary>
public sealed class KnownTimelineIds(int capacity = KnownTimelineIds.DefaultCapacity)
{
    /// <summary>About 10 MB of strings and entries.</summary>
    public const int DefaultCapacity = 50_000;

    private readonly ConcurrentDictionary<string, string> ids = new(StringComparer.Ordinal);
    private int added;

    /// <summary>The timeline every identifier of <paramref name="who"/> points to, or null when one is unknown or they disagree.</summary>
    public string? Guess(string workspace, UserReference who)
    {
        string? guess = who.IntercomUserId;
        foreach (var key in Keys(workspace, who.UserId, UserReference.EmailKey(who.Email)))
        {
            if (!ids.TryGetValue(key, out var id) || (guess is not null && guess != id))
            {
                return null;
            }

            guess = id;
        }

        return guess;
    }

    /// <summary>Records what the database says now: each identifier the commands used points to its stored timeline, or to none.</summary>
    public void Learn(string workspace, UserReference who, UserTimeline? byUserId, UserTimeline? byEmail)
    {
        Set(who.UserId is null ? null : Key(workspace, 'u', who.UserId), byUserId?.Id);
        Set(UserReference.EmailKey(who.Email) is { } email ? Key(workspace, 'e', email) : null, byEmail?.Id);
    }

    /// <summary>Records a timeline this node is starting (an unsuccessful commit leaves a wrong guess, corrected when next read).</summary>
    public void Learn(string workspace, UserTimeline started) => Learn(workspace, new UserReference(null, started.UserId, started.Email), started, started);

    private void Set(string? key, string? id)
    {
        if (key is null)
        {
            return;
        }

        if (id is null)
        {
            ids.TryRemove(key, out _);
            return;
        }

        if (ids.TryGetValue(key, out var known) && known == id)
        {
            return;
        }

        if (Interlocked.Increment(ref added) > capacity)
        {
            ids.Clear();
            Interlocked.Exchange(ref added, 1);
        }

        ids[key] = id;
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
