using EventStore.Api.Operations;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;

namespace EventStore.Api.Summaries;

/// <summary>
/// <see cref="EventStatsProjection"/> in a rebuild's bulk pass: pages are folded in memory (the projection's own
/// merge) and written with the projection's own upsert when many keys are pending and at the end, instead of
/// upserting every page into a table whose rows each page updates again. Folding happens once a page's other
/// writes have committed, so a retried page is never folded twice. Outside the bulk pass it is the projection.
/// </summary>
public sealed class AccumulatedStats(EventStatsProjection projection) : IAccumulatedCopy
{
    private readonly Dictionary<StatsKey, EventStore.Domain.Timelines.EventStats> folded = [];

    public int Pending => folded.Count;

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation) =>
        projection.ApplyAsync(operations, events, cancellation);

    public void Accumulate(IReadOnlyList<IEvent> events) => EventStatsProjection.Merge(events, folded);

    public void QueueWrite(IDocumentOperations operations) => projection.QueueUpsert(operations, folded);

    public void Clear() => folded.Clear();
}
