using System.Numerics;

namespace EventStore.Api.Segments;

/// <summary>
/// One workspace's segments in memory (ADR 0020): its users numbered densely in arrival order, and per event name the
/// members with their count, first and last occurrence, in columns. A condition scans one name's columns into a bitmap
/// of user numbers; and / or / not are word-wise operations on bitmaps; pages follow the users sorted by service id.
/// Written only by <see cref="SegmentIndex"/> under the write lock; read under the read lock.
/// </summary>
internal sealed class WorkspaceSegments
{
    /// <summary>Bytes per user (id string, number, order, list of names) and per (user, name) member (columns, slot), as measured with room to spare.</summary>
    public const long BytesPerUser = 200;

    public const long BytesPerMember = 80;

    private readonly Dictionary<string, int> numbers = new(StringComparer.Ordinal);
    private readonly List<string> ids = [];
    private readonly List<List<NameMembers>?> namesOf = [];
    private readonly Dictionary<string, NameMembers> names = new(StringComparer.Ordinal);
    private readonly List<int> unordered = [];
    private ulong[] present = [];

    // Every number ever given, sorted by service id (ordinal); erased users stay in it, absent from present.
    private int[] order = [];
    private long members;

    public ReaderWriterLockSlim Lock { get; } = new();

    public long EstimatedBytes => (ids.Count * BytesPerUser) + (members * BytesPerMember);

    private int Words => (ids.Count + 63) >> 6;

    public bool Holds(string id) => numbers.ContainsKey(id);

    /// <summary>Sets what a user is now: present with exactly these rows, or gone (<paramref name="exists"/> false).</summary>
    public void Update(string id, bool exists, IReadOnlyList<MemberRow> rows)
    {
        if (!numbers.TryGetValue(id, out var number))
        {
            if (!exists)
            {
                return;
            }

            number = ids.Count;
            numbers.Add(id, number);
            ids.Add(id);
            namesOf.Add(null);
            unordered.Add(number);
            if (Words > present.Length)
            {
                Array.Resize(ref present, Math.Max(Words, present.Length * 2));
            }
        }

        if (exists)
        {
            present[number >> 6] |= 1UL << number;
        }
        else
        {
            present[number >> 6] &= ~(1UL << number);
        }

        var before = namesOf[number];
        var after = exists && rows.Count > 0 ? new List<NameMembers>(rows.Count) : null;
        foreach (var row in exists ? rows : [])
        {
            if (!names.TryGetValue(row.Name, out var name))
            {
                names.Add(row.Name, name = new NameMembers());
            }

            members += name.Set(number, row.Count, row.First, row.Last) ? 1 : 0;
            after!.Add(name);
        }

        foreach (var name in before ?? [])
        {
            if (after is null || !after.Contains(name))
            {
                members -= name.Remove(number) ? 1 : 0;
            }
        }

        namesOf[number] = after;
    }

    /// <summary>Drops every user not in <paramref name="existing"/> (read after the index's snapshot: users erased since).</summary>
    public void KeepOnly(IReadOnlySet<string> existing)
    {
        for (var number = 0; number < ids.Count; number++)
        {
            if ((present[number >> 6] & (1UL << number)) != 0 && !existing.Contains(ids[number]))
            {
                Update(ids[number], exists: false, []);
            }
        }
    }

    /// <summary>Puts the users added since the last call into service-id order (one merge, after a load or a catch-up).</summary>
    public void Order()
    {
        if (unordered.Count == 0)
        {
            return;
        }

        unordered.Sort((a, b) => string.CompareOrdinal(ids[a], ids[b]));
        var merged = new int[order.Length + unordered.Count];
        int i = 0, j = 0, k = 0;
        while (i < order.Length && j < unordered.Count)
        {
            merged[k++] = string.CompareOrdinal(ids[order[i]], ids[unordered[j]]) <= 0 ? order[i++] : unordered[j++];
        }

        while (i < order.Length)
        {
            merged[k++] = order[i++];
        }

        while (j < unordered.Count)
        {
            merged[k++] = unordered[j++];
        }

        order = merged;
        unordered.Clear();
    }

    /// <summary>Every user of the workspace.</summary>
    public ulong[] Universe() => present[..Words];

    /// <summary>The users who did <paramref name="name"/> with every filter holding.</summary>
    public ulong[] Did(string name, SegmentFilter filter, long now)
    {
        var into = new ulong[Words];
        if (names.TryGetValue(name, out var members))
        {
            members.Select(filter.Bounds(now), into);
        }

        return into;
    }

    /// <summary>Keeps in <paramref name="set"/> the users also in <paramref name="other"/> (and).</summary>
    public static void IntersectWith(ulong[] set, ulong[] other)
    {
        for (var i = 0; i < set.Length; i++)
        {
            set[i] &= other[i];
        }
    }

    /// <summary>Adds to <paramref name="set"/> the users of <paramref name="other"/> (or).</summary>
    public static void UnionWith(ulong[] set, ulong[] other)
    {
        for (var i = 0; i < set.Length; i++)
        {
            set[i] |= other[i];
        }
    }

    /// <summary>Takes out of <paramref name="set"/> the users of <paramref name="other"/> (and not).</summary>
    public static void ExceptWith(ulong[] set, ulong[] other)
    {
        for (var i = 0; i < set.Length; i++)
        {
            set[i] &= ~other[i];
        }
    }

    public static long Count(ulong[] set)
    {
        long count = 0;
        foreach (var word in set)
        {
            count += BitOperations.PopCount(word);
        }

        return count;
    }

    /// <summary>Up to <paramref name="limit"/> users of <paramref name="set"/> with a service id after <paramref name="after"/>, in service-id order.</summary>
    public List<string> Page(ulong[] set, string? after, int limit)
    {
        var page = new List<string>(Math.Min(limit, 1024));
        var start = after is null ? 0 : FirstAfter(after);
        for (var i = start; i < order.Length && page.Count < limit; i++)
        {
            var number = order[i];
            if ((number >> 6) < set.Length && (set[number >> 6] & present[number >> 6] & (1UL << number)) != 0)
            {
                page.Add(ids[number]);
            }
        }

        return page;
    }

    /// <summary>A member's row of <paramref name="name"/>; every user of a page from <see cref="Did"/> has one.</summary>
    public MemberRow Row(string name, string id) => names[name].Row(name, numbers[id]);

    private int FirstAfter(string after)
    {
        int low = 0, high = order.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (string.CompareOrdinal(ids[order[middle]], after) <= 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>The members of one name, in columns; a slot per member, filled without gaps.</summary>
    private sealed class NameMembers
    {
        private readonly Dictionary<int, int> slots = [];
        private int[] users = new int[16];
        private long[] counts = new long[16];
        private long[] firsts = new long[16];
        private long[] lasts = new long[16];
        private int size;

        /// <summary>Sets the member's row; true when the user was not a member before.</summary>
        public bool Set(int user, long count, long first, long last)
        {
            var added = !slots.TryGetValue(user, out var slot);
            if (added)
            {
                if (size == users.Length)
                {
                    var capacity = size * 2;
                    Array.Resize(ref users, capacity);
                    Array.Resize(ref counts, capacity);
                    Array.Resize(ref firsts, capacity);
                    Array.Resize(ref lasts, capacity);
                }

                slot = size++;
                slots.Add(user, slot);
                users[slot] = user;
            }

            counts[slot] = count;
            firsts[slot] = first;
            lasts[slot] = last;
            return added;
        }

        /// <summary>Takes the user out (the last slot fills the hole); true when they were a member.</summary>
        public bool Remove(int user)
        {
            if (!slots.Remove(user, out var slot))
            {
                return false;
            }

            var last = --size;
            if (slot != last)
            {
                users[slot] = users[last];
                counts[slot] = counts[last];
                firsts[slot] = firsts[last];
                lasts[slot] = lasts[last];
                slots[users[slot]] = slot;
            }

            return true;
        }

        public MemberRow Row(string name, int user)
        {
            var slot = slots[user];
            return new MemberRow(name, counts[slot], firsts[slot], lasts[slot]);
        }

        public void Select(FilterBounds bounds, ulong[] into)
        {
            for (var slot = 0; slot < size; slot++)
            {
                if (bounds.Holds(counts[slot], firsts[slot], lasts[slot]))
                {
                    var user = users[slot];
                    into[user >> 6] |= 1UL << user;
                }
            }
        }
    }
}

/// <summary>One row of event_stats as the index keeps it: a user's count, first and last occurrence of a name.</summary>
internal readonly record struct MemberRow(string Name, long Count, long First, long Last);
