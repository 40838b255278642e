namespace EventStore.Domain.Timelines;

/// <summary>
/// How often and when a user did one thing: the unit of summaries and segments. Tracked events and
/// imported summaries merge the same way: counts add up, first is the earliest, last the latest.
/// </summary>
public sealed record EventStats(long Count, long First, long Last)
{
    public static EventStats Of(EventTracked tracked) => new(1, tracked.CreatedAt, tracked.CreatedAt);

    public static EventStats Of(EventSummaryImported imported) => new(imported.Count, imported.First, imported.Last);

    public EventStats Merge(EventStats other) =>
        new(Count + other.Count, Math.Min(First, other.First), Math.Max(Last, other.Last));
}
