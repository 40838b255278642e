using EventStore.Domain.Tracking;

namespace EventStore.Domain.Timelines;

/// <summary>
/// History a customer brings in without raw events (Intercom's summary import): the user did
/// <see cref="Name"/> <see cref="Count"/> times, first at <see cref="First"/>, last at <see cref="Last"/> (Unix seconds).
/// </summary>
public sealed record ImportedSummary(EventName Name, long Count, long First, long Last)
{
    /// <summary>Identical imports are one import: a retried request must not double the counts.</summary>
    public string KeyFor(string timelineId) => $"summary|{timelineId}|{Name.Value}|{Count}|{First}|{Last}";

    public static Result<ImportedSummary> Create(EventName name, long count, long first, long last, string field) =>
        count < 0 ? Rejection.Invalid($"{field}.count", $"{field}.count must not be negative")
        : first > last ? Rejection.Invalid($"{field}.first", $"{field}.first must not be after {field}.last")
        : new ImportedSummary(name, count, first, last);
}
