using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace EventStore.Api.Telemetry;

/// <summary>
/// The service's own metrics, on one process-wide <see cref="Meter"/> named <see cref="MeterName"/> (exported
/// by <see cref="TelemetrySetup"/>). Every event sent to <c>POST /events</c>, <c>/events/bulk</c> or the browser endpoint is counted
/// once: accepted (stored), duplicate (ignored) or rejected (with the error code as <c>reason</c>;
/// <c>not_stored</c> for the valid items of an atomic bulk request that was refused). A request refused before
/// its events are read (a bulk body that is not a JSON array, a rate limit hit by the request itself) counts
/// as one rejected event. Requests that fail (401, 403, 503) are not counted here; the HTTP server metrics
/// show them. Tags are low-cardinality: <c>workspace</c> is a configured workspace id.
/// </summary>
public static class EventStoreMetrics
{
    public const string MeterName = "EventStore";

    public const string WorkspaceTag = "workspace";
    public const string ReasonTag = "reason";
    public const string OutcomeTag = "outcome";
    public const string ProjectionTag = "projection";
    public const string KindTag = "kind";
    public const string BasisTag = "basis";

    /// <summary>The <c>reason</c> of valid events that an atomic bulk request did not store because another item was refused.</summary>
    public const string NotStoredReason = "not_stored";

    /// <summary>Outcomes of one group-commit transaction (<see cref="RecordAppend"/>).</summary>
    public const string Committed = "committed";
    public const string Conflict = "conflict";
    public const string Failed = "failed";

    /// <summary>
    /// What a group-commit transaction was decided on (<see cref="RecordAppend"/>): the node's copy of its users and event
    /// names, checked by its first statement (one round trip), or state read in the transaction (two).
    /// </summary>
    public const string KnownBasis = "known";
    public const string ReadBasis = "read";

    private static readonly Meter Meter = new(MeterName, typeof(EventStoreMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> AcceptedEvents = Meter.CreateCounter<long>(
        "eventstore.events.accepted", "{event}", "Events stored.");

    private static readonly Counter<long> DuplicateEvents = Meter.CreateCounter<long>(
        "eventstore.events.duplicates", "{event}", "Events ignored as duplicates of an event already stored (same user, name and created_at).");

    private static readonly Counter<long> RejectedEvents = Meter.CreateCounter<long>(
        "eventstore.events.rejected", "{event}", "Events refused, by the error code answered (reason).");

    private static readonly Counter<long> WriteConflicts = Meter.CreateCounter<long>(
        "eventstore.write.conflicts", "{conflict}",
        "Write conflicts between concurrent writers (nodes, lanes, imports) that the service resolved by deciding again, by what they raced on (kind).");

    /// <summary>
    /// Seconds of one group-commit transaction (Marten's SaveChanges of a group), the latency every request
    /// of the group waits for. Buckets from 1 ms to 10 s: a commit is a few milliseconds, a slow one seconds.
    /// </summary>
    private static readonly Histogram<double> AppendDuration = Meter.CreateHistogram(
        "eventstore.append.duration", "s", "Duration of one group-commit transaction appending tracked events.",
        tags: null,
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10],
        });

    private static volatile Func<IEnumerable<Measurement<long>>>? projectionLag;
    private static volatile Func<bool>? leadership;

    private static readonly ConcurrentDictionary<string, long> AwaitingCommit = new(StringComparer.Ordinal);

    static EventStoreMetrics()
    {
        // Exists from the start (reporting nothing) so that dashboards and alerts can refer to it; what it
        // reports is supplied by ObserveProjectionLag.
        Meter.CreateObservableGauge(
            "eventstore.projection.lag",
            () => projectionLag?.Invoke() ?? [],
            "{event}",
            "Events appended but not yet applied by an asynchronous projection, by projection.");
        Meter.CreateObservableGauge(
            "eventstore.commit.pending",
            () => AwaitingCommit.Select(w => new Measurement<long>(w.Value, new KeyValuePair<string, object?>(WorkspaceTag, w.Key))),
            "{event}",
            "Events handed to the group committer whose requests wait for their commit (queued or being committed), by workspace.");
        Meter.CreateObservableGauge(
            "eventstore.leader",
            () => leadership is { } isLeader ? [new Measurement<int>(isLeader() ? 1 : 0)] : Array.Empty<Measurement<int>>(),
            "{node}",
            "1 on the node that runs the once-per-cluster work (the leader), 0 on the others.");
    }

    public static void Accepted(string workspace, int events = 1) =>
        AcceptedEvents.Add(events, new KeyValuePair<string, object?>(WorkspaceTag, workspace));

    public static void Duplicate(string workspace, int events = 1) =>
        DuplicateEvents.Add(events, new KeyValuePair<string, object?>(WorkspaceTag, workspace));

    /// <summary><paramref name="reason"/> is the error code of the answer (for example <c>parameter_invalid</c>).</summary>
    public static void Rejected(string workspace, string reason, int events = 1) =>
        RejectedEvents.Add(events, new KeyValuePair<string, object?>(WorkspaceTag, workspace), new(ReasonTag, reason));

    /// <summary>
    /// For a middleware that refuses a request before its endpoint runs (the rate limit): counts one rejected
    /// event when the request is a <c>POST /events</c> or <c>POST /events/bulk</c>, and nothing for other endpoints.
    /// </summary>
    public static void RejectedRequest(HttpContext context, string workspace, string reason)
    {
        if (HttpMethods.IsPost(context.Request.Method)
            && context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route }
            && route.Trim('/') is "events" or "events/bulk")
        {
            Rejected(workspace, reason);
        }
    }

    /// <summary>
    /// Counts one rejected event when <paramref name="error"/> (a request body that could not be read: 400, 413,
    /// 415) is answered, with the error code its status stands for in <c>RequestBody</c>.
    /// </summary>
    public static IResult RejectedBody(IResult error, string workspace) => new CountedRejection(error, workspace);

    /// <summary>A transaction that lost a race and is decided again; <paramref name="kind"/> says on what (see WriteConflicts.KindOf).</summary>
    public static void ConflictRetried(string workspace, string kind) =>
        WriteConflicts.Add(1, new KeyValuePair<string, object?>(WorkspaceTag, workspace), new(KindTag, kind));

    /// <summary>Events of a workspace start (positive) or stop (negative) waiting for their commit (<c>eventstore.commit.pending</c>).</summary>
    public static void PendingCommit(string workspace, int events) =>
        AwaitingCommit.AddOrUpdate(workspace, events, (_, waiting) => waiting + events);

    /// <summary>
    /// One group-commit transaction: <paramref name="outcome"/> is <see cref="Committed"/>, <see cref="Conflict"/> or
    /// <see cref="Failed"/>; <paramref name="basis"/> is <see cref="KnownBasis"/> or <see cref="ReadBasis"/>.
    /// </summary>
    public static void RecordAppend(string workspace, TimeSpan elapsed, string outcome = Committed, string basis = ReadBasis) =>
        AppendDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(WorkspaceTag, workspace), new(OutcomeTag, outcome), new(BasisTag, basis));

    /// <summary>Where <c>eventstore.leader</c> reads whether this node leads (Hosting/LeaderElection.cs).</summary>
    public static void ObserveLeadership(Func<bool> isLeader) => leadership = isLeader;

    /// <summary>
    /// Supplies what <c>eventstore.projection.lag</c> reports when metrics are collected: one measurement per
    /// projection (tag <see cref="ProjectionTag"/>, plus <see cref="WorkspaceTag"/> if useful), each the number of
    /// events not yet applied. Process-wide: a later call replaces the earlier one; null stops reporting. The
    /// callback runs on the collecting thread (a scrape) and must be quick: report cached figures.
    /// </summary>
    public static void ObserveProjectionLag(Func<IEnumerable<Measurement<long>>>? observe) => projectionLag = observe;

    private sealed class CountedRejection(IResult error, string workspace) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            await error.ExecuteAsync(httpContext);
            Rejected(workspace, httpContext.Response.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "request_too_large",
                StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
                _ => "bad_request",
            });
        }
    }
}
