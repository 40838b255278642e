using EventStore.Api.Operations;
using JasperFx.Events;
using Marten;

namespace EventStore.Api.Overview;

/// <summary><see cref="EventActivityProjection"/> in a rebuild's bulk pass: counts folded in memory, as <see cref="AccumulatedStats"/>.</summary>
public sealed class AccumulatedActivity(EventActivityProjection projection) : IAccumulatedCopy
{
    private readonly Dictionary<ActivityKey, long> counted = [];

    public int Pending => counted.Count;

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation) =>
        projection.ApplyAsync(operations, events, cancellation);

    public void Accumulate(IReadOnlyList<IEvent> events) => EventActivityProjection.Count(events, counted);

    public void QueueWrite(IDocumentOperations operations) => projection.QueueUpsert(operations, counted);

    public void Clear() => counted.Clear();
}
