using System.Text.Json;
using EventStore.Api.Segments;

namespace EventStore.Api.Tests.Segments;

/// <summary>The segment index evaluates filters as inclusive bounds: they let through exactly what the SQL comparisons do.</summary>
public sealed class when_bounding_segment_filters
{
    private const long Now = 1_700_000_000;

    public static TheoryData<string, long, long, long, bool> Cases => new()
    {
        // filter, count, first, last, holds
        { """{"count_gt":2}""", 3, 0, 0, true },
        { """{"count_gt":2}""", 2, 0, 0, false },
        { """{"count_gt":9223372036854775807}""", long.MaxValue, 0, 0, false },
        { """{"count_lt":1}""", 1, 0, 0, false },
        { """{"count_lt":0}""", 0, 0, 0, false },
        { """{"count_eq":4}""", 4, 0, 0, true },
        { """{"count_ne":4}""", 4, 0, 0, false },
        { """{"count_ne":4}""", 5, 0, 0, true },
        { """{"count_gt":1,"count_lt":3,"count_ne":2}""", 2, 0, 0, false },
        { """{"first_before":100}""", 1, 99, 0, true },
        { """{"first_before":100}""", 1, 100, 0, false },
        { """{"first_after":100}""", 1, 100, 0, false },
        { """{"first_after":100}""", 1, 101, 0, true },
        { """{"last_before":0}""", 1, 0, -1, true },
        { """{"last_after":99999999999}""", 1, 0, 99_999_999_999, false },
        { """{"last_less_than_days_ago":2}""", 1, 0, Now - (2 * 86_400), false },
        { """{"last_less_than_days_ago":2}""", 1, 0, Now - (2 * 86_400) + 1, true },
        { """{"first_more_than_days_ago":0}""", 1, Now - 1, 0, true },
        { """{"first_more_than_days_ago":0}""", 1, Now, 0, false },
        { """{"first_less_than_days_ago":1,"last_more_than_days_ago":1}""", 1, Now - 86_399, Now - 86_401, true },
        { """{"count_eq":3,"count_gt":3}""", 3, 0, 0, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void holds_where_the_sql_comparison_holds(string filter, long count, long first, long last, bool holds)
    {
        var parsed = SegmentFilter.FromJson(JsonDocument.Parse(filter).RootElement, "filter", []);

        parsed.Bounds(Now).Holds(count, first, last).ShouldBe(holds, $"{filter} with count {count}, first {first}, last {last}");
    }
}
