using System.Globalization;
using System.Text;

namespace EventStore.Api.Tests.Segments;

/// <summary>
/// What segments must answer, kept the obvious way: every user, and per user and name the count, first and last of what
/// was tracked (each occurrence once) and imported. Random searches are written as JSON and evaluated on it.
/// </summary>
public sealed class NaiveSegments
{
    public const long Day = 86_400;

    private static readonly string[] CountFilters = ["count_gt", "count_lt", "count_eq", "count_ne"];
    private static readonly string[] DateFilters = ["first_before", "first_after", "last_before", "last_after"];
    private static readonly string[] DaysFilters = ["first_more_than_days_ago", "first_less_than_days_ago", "last_more_than_days_ago", "last_less_than_days_ago"];

    private readonly Dictionary<string, Dictionary<string, (long Count, long First, long Last)>> users = new(StringComparer.Ordinal);
    private readonly HashSet<(string User, string Name, long At)> occurrences = [];
    private readonly HashSet<string> summaries = new(StringComparer.Ordinal);

    public IEnumerable<string> Users => users.Keys;

    public void Tracked(string user, string name, long at)
    {
        var stats = Of(user);
        if (occurrences.Add((user, name, at)))
        {
            stats[name] = stats.TryGetValue(name, out var s) ? (s.Count + 1, Math.Min(s.First, at), Math.Max(s.Last, at)) : (1, at, at);
        }
    }

    public void Imported(string user, string name, long count, long first, long last)
    {
        var stats = Of(user);
        if (count > 0 && summaries.Add($"{user}|{name}|{count}|{first}|{last}"))
        {
            stats[name] = stats.TryGetValue(name, out var s) ? (s.Count + count, Math.Min(s.First, first), Math.Max(s.Last, last)) : (count, first, last);
        }
    }

    public void Erased(string user)
    {
        users.Remove(user);
        occurrences.RemoveWhere(o => o.User == user);
        summaries.RemoveWhere(s => s.StartsWith(user + "|", StringComparison.Ordinal));
    }

    /// <summary>The users who did <paramref name="name"/> with every filter holding, with their row.</summary>
    public IEnumerable<(string User, long Count, long First, long Last)> Did(string name, IReadOnlyDictionary<string, long> filters, long now) =>
        users.Where(u => u.Value.TryGetValue(name, out var s) && Holds(filters, s, now))
            .Select(u => (u.Key, u.Value[name].Count, u.Value[name].First, u.Value[name].Last));

    private Dictionary<string, (long Count, long First, long Last)> Of(string user)
    {
        if (!users.TryGetValue(user, out var stats))
        {
            users[user] = stats = new(StringComparer.Ordinal);
        }

        return stats;
    }

    private static bool Holds(IReadOnlyDictionary<string, long> filters, (long Count, long First, long Last) s, long now) => filters.All(f => f.Key switch
    {
        "count_gt" => s.Count > f.Value,
        "count_lt" => s.Count < f.Value,
        "count_eq" => s.Count == f.Value,
        "count_ne" => s.Count != f.Value,
        "first_before" => s.First < f.Value,
        "first_after" => s.First > f.Value,
        "last_before" => s.Last < f.Value,
        "last_after" => s.Last > f.Value,
        "first_more_than_days_ago" => s.First < now - (f.Value * Day),
        "first_less_than_days_ago" => s.First > now - (f.Value * Day),
        "last_more_than_days_ago" => s.Last < now - (f.Value * Day),
        "last_less_than_days_ago" => s.Last > now - (f.Value * Day),
        _ => throw new ArgumentException(f.Key),
    });

    /// <summary>A random filter set: none to three keys, with values around the data's (counts 0-6, times within <paramref name="span"/> before now).</summary>
    public static Dictionary<string, long> RandomFilters(Random random, long now, long span)
    {
        var filters = new Dictionary<string, long>();
        for (var i = random.Next(0, 4); i > 0; i--)
        {
            switch (random.Next(3))
            {
                case 0:
                    filters[CountFilters[random.Next(CountFilters.Length)]] = random.Next(0, 7);
                    break;
                case 1:
                    // Whole hours: the data lies on half hours, so no boundary is ever equal to an occurrence.
                    filters[DateFilters[random.Next(DateFilters.Length)]] = now - (random.NextInt64(0, span / 3600) * 3600);
                    break;
                default:
                    filters[DaysFilters[random.Next(DaysFilters.Length)]] = random.Next(0, (int)(span / Day) + 2);
                    break;
            }
        }

        return filters;
    }

    /// <summary>A random boolean search over <paramref name="names"/>, at most <paramref name="depth"/> levels deep.</summary>
    public static Search RandomSearch(Random random, IReadOnlyList<string> names, long now, long span, int depth)
    {
        var kind = depth <= 1 ? 0 : random.Next(4);
        switch (kind)
        {
            case 0:
                return new Condition(names[random.Next(names.Count)], RandomFilters(random, now, span));
            case 1:
                return new Not(RandomSearch(random, names, now, span, depth - 1));
            default:
                var children = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomSearch(random, names, now, span, depth - 1)).ToList();
                return kind == 2 ? new And(children) : new Or(children);
        }
    }

    public abstract record Search
    {
        public abstract string Json { get; }

        public abstract ISet<string> Evaluate(NaiveSegments model, long now);
    }

    public sealed record Condition(string Name, IReadOnlyDictionary<string, long> Filters) : Search
    {
        public override string Json
        {
            get
            {
                var json = new StringBuilder($"{{\"event_name\":\"{Name}\"");
                foreach (var (key, value) in Filters)
                {
                    json.Append(CultureInfo.InvariantCulture, $",\"{key}\":{value}");
                }

                return json.Append('}').ToString();
            }
        }

        public override ISet<string> Evaluate(NaiveSegments model, long now) => model.Did(Name, Filters, now).Select(d => d.User).ToHashSet(StringComparer.Ordinal);
    }

    public sealed record Not(Search Inner) : Search
    {
        public override string Json => $"{{\"not\":{Inner.Json}}}";

        public override ISet<string> Evaluate(NaiveSegments model, long now) => model.Users.Except(Inner.Evaluate(model, now)).ToHashSet(StringComparer.Ordinal);
    }

    public sealed record And(IReadOnlyList<Search> Children) : Search
    {
        public override string Json => $"{{\"and\":[{string.Join(',', Children.Select(c => c.Json))}]}}";

        public override ISet<string> Evaluate(NaiveSegments model, long now) =>
            Children.Select(c => c.Evaluate(model, now)).Aggregate((a, b) => a.Intersect(b).ToHashSet(StringComparer.Ordinal));
    }

    public sealed record Or(IReadOnlyList<Search> Children) : Search
    {
        public override string Json => $"{{\"or\":[{string.Join(',', Children.Select(c => c.Json))}]}}";

        public override ISet<string> Evaluate(NaiveSegments model, long now) =>
            Children.Select(c => c.Evaluate(model, now)).Aggregate((a, b) => a.Union(b).ToHashSet(StringComparer.Ordinal));
    }
}
