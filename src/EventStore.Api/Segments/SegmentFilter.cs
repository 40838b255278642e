using System.Globalization;
using System.Text.Json;
using EventStore.Api.Http;
using EventStore.Domain;

namespace EventStore.Api.Segments;

/// <summary>
/// What admins filter a segment on, per user and event name: the count, and the first and last occurrence
/// (as dates or as "N days ago"). All given filters must hold. The same names are query parameters of
/// <c>GET /segments/{name}/users</c> and keys of a condition in <c>POST /segments/search</c>.
/// </summary>
internal sealed class SegmentFilter
{
    private const long SecondsPerDay = 86_400;

    /// <summary>Timestamps from 10^11 on are milliseconds, as on the write side: refused rather than matching nothing.</summary>
    private const long MaxUnixSeconds = 99_999_999_999;

    /// <summary>Keeps "now - days" far from overflow; 100,000 days is about 270 years.</summary>
    private const long MaxDays = 100_000;

    private static readonly Criterion[] Criteria =
    [
        new("count_gt", "count", ">", long.MaxValue, DaysAgo: false),
        new("count_lt", "count", "<", long.MaxValue, DaysAgo: false),
        new("count_eq", "count", "=", long.MaxValue, DaysAgo: false),
        new("count_ne", "count", "<>", long.MaxValue, DaysAgo: false),
        new("first_before", "first_at", "<", MaxUnixSeconds, DaysAgo: false),
        new("first_after", "first_at", ">", MaxUnixSeconds, DaysAgo: false),
        new("last_before", "last_at", "<", MaxUnixSeconds, DaysAgo: false),
        new("last_after", "last_at", ">", MaxUnixSeconds, DaysAgo: false),
        new("first_more_than_days_ago", "first_at", "<", MaxDays, DaysAgo: true),
        new("first_less_than_days_ago", "first_at", ">", MaxDays, DaysAgo: true),
        new("last_more_than_days_ago", "last_at", "<", MaxDays, DaysAgo: true),
        new("last_less_than_days_ago", "last_at", ">", MaxDays, DaysAgo: true),
    ];

    // Indexed like Criteria; null where the filter is not given.
    private readonly long?[] values;

    private SegmentFilter(long?[] values) => this.values = values;

    public static IEnumerable<string> Names => Criteria.Select(c => c.Name);

    public static bool IsName(string key) => Array.Exists(Criteria, c => c.Name == key);

    public static SegmentFilter FromQuery(QueryParameters query) =>
        new([.. Criteria.Select(c => query.Long(c.Name, 0, c.Max))]);

    /// <summary>Reads the filter keys of a JSON condition (other keys are the caller's business).</summary>
    public static SegmentFilter FromJson(JsonElement condition, string path, List<Rejection> rejections)
    {
        var values = new long?[Criteria.Length];
        for (var i = 0; i < Criteria.Length; i++)
        {
            var criterion = Criteria[i];
            if (!condition.TryGetProperty(criterion.Name, out var value))
            {
                continue;
            }

            var field = $"{path}.{criterion.Name}";
            if (value.ValueKind != JsonValueKind.Number)
            {
                rejections.Add(Rejection.WrongType(field, $"{field} must be an integer"));
            }
            else if (!value.TryGetInt64(out var number) || number < 0 || number > criterion.Max)
            {
                rejections.Add(Rejection.Invalid(field, $"{field} must be an integer from 0 to {criterion.Max}"));
            }
            else
            {
                values[i] = number;
            }
        }

        return new SegmentFilter(values);
    }

    /// <summary>The filters as given (days stay days), in a fixed order: what a paging cursor is bound to.</summary>
    public string Canonical => string.Join('&', Criteria
        .Select((c, i) => values[i] is { } value ? $"{c.Name}={value.ToString(CultureInfo.InvariantCulture)}" : null)
        .OfType<string>());

    /// <summary>
    /// Appends <c> and alias.column op $n</c> per filter. "N days ago" becomes a timestamp at <paramref name="now"/>;
    /// every predicate is on a column the covering index by name holds (count, first_at, last_at), so a filtered read
    /// never visits the table.
    /// </summary>
    public void AppendSql(SqlBuilder sql, string alias, long now)
    {
        for (var i = 0; i < Criteria.Length; i++)
        {
            if (values[i] is not { } value)
            {
                continue;
            }

            var criterion = Criteria[i];
            var operand = criterion.DaysAgo ? now - (value * SecondsPerDay) : value;
            sql.Append($" and {alias}.{criterion.Column} {criterion.Operator} {sql.Parameter(operand)}");
        }
    }

    /// <summary>The filters as inclusive bounds at <paramref name="now"/>, for the in-memory index: the same comparisons as <see cref="AppendSql"/>.</summary>
    public FilterBounds Bounds(long now)
    {
        var bounds = FilterBounds.Everything;
        for (var i = 0; i < Criteria.Length; i++)
        {
            if (values[i] is not { } value)
            {
                continue;
            }

            var criterion = Criteria[i];
            var operand = criterion.DaysAgo ? now - (value * SecondsPerDay) : value;
            bounds = bounds.With(criterion.Column, criterion.Operator, operand);
        }

        return bounds;
    }

    private sealed record Criterion(string Name, string Column, string Operator, long Max, bool DaysAgo);
}

/// <summary>What a <see cref="SegmentFilter"/> lets through, as inclusive ranges of count, first and last, and one excluded count.</summary>
internal readonly record struct FilterBounds(long CountLow, long CountHigh, long? CountNot, long FirstLow, long FirstHigh, long LastLow, long LastHigh)
{
    public static FilterBounds Everything => new(long.MinValue, long.MaxValue, null, long.MinValue, long.MaxValue, long.MinValue, long.MaxValue);

    public bool Holds(long count, long first, long last) =>
        count >= CountLow && count <= CountHigh && count != CountNot &&
        first >= FirstLow && first <= FirstHigh && last >= LastLow && last <= LastHigh;

    /// <summary>These bounds narrowed by <c>column op operand</c>; a strict bound at the end of the range lets nothing through.</summary>
    public FilterBounds With(string column, string op, long operand)
    {
        var (low, high) = column switch
        {
            "count" => (CountLow, CountHigh),
            "first_at" => (FirstLow, FirstHigh),
            _ => (LastLow, LastHigh),
        };
        var countNot = CountNot;
        switch (op)
        {
            case ">":
                (low, high) = operand == long.MaxValue ? (1, 0) : (Math.Max(low, operand + 1), high);
                break;
            case "<":
                (low, high) = operand == long.MinValue ? (1, 0) : (low, Math.Min(high, operand - 1));
                break;
            case "=":
                (low, high) = (Math.Max(low, operand), Math.Min(high, operand));
                break;
            default:
                countNot = operand;
                break;
        }

        return column switch
        {
            "count" => this with { CountLow = low, CountHigh = high, CountNot = countNot },
            "first_at" => this with { FirstLow = low, FirstHigh = high },
            _ => this with { LastLow = low, LastHigh = high },
        };
    }
}
