using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Protection;
using EventStore.Api.Telemetry;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.Tracking;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace EventStore.Api.Tracking;

/// <summary>Many track commands from one request, committed together (and, when atomic, all or none).</summary>
public sealed record TrackEventsInBulk(IReadOnlyList<TrackEvent> Commands, bool Atomic)
{
    /// <summary>What logs show: the size of the request, never its users or metadata (see <see cref="TrackEvent.ToString"/>).</summary>
    public override string ToString() => $"TrackEventsInBulk {{ events = {Commands.Count}, atomic = {Atomic} }}";
}

/// <summary>The outcome of each command of a <see cref="TrackEventsInBulk"/>, in order.</summary>
public sealed record BulkOutcome(IReadOnlyList<TrackOutcome> Outcomes);

/// <summary>Limits of POST /events/bulk (configuration section "Tracking:Bulk").</summary>
public sealed class BulkOptions
{
    public long MaxBodyBytes { get; set; } = 5 * 1024 * 1024;

    public int MaxEvents { get; set; } = 1000;

    /// <summary>Bulk requests, once read, parsed and decided at once; more wait for their turn.</summary>
    public int MaxConcurrentRequests { get; set; } = 4;

    /// <summary>
    /// Bulk requests of one workspace in progress at once, reading their bodies included; more wait for their turn.
    /// As many as are decided at once by default: one workspace alone is as fast as before, and never has more
    /// requests anywhere (reading, queued or deciding) than the service decides at once.
    /// </summary>
    public int MaxConcurrentRequestsPerWorkspace { get; set; } = 4;

    /// <summary>How long a request waits for its turn (429 for its workspace's, 503 for the service's) before it is refused.</summary>
    public TimeSpan AdmissionTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Who may work on bulk requests, in two steps. Per workspace (<c>Tracking:Bulk:MaxConcurrentRequestsPerWorkspace</c>),
/// for the whole request: the bodies a workspace has in memory, and the time its slow uploads can hold, are its own.
/// Overall (<c>Tracking:Bulk:MaxConcurrentRequests</c>), only once the body is read: parsing and deciding are
/// CPU-bound, so more of them in parallel add no throughput, only memory; and since a slot is taken after the
/// upload, a client sending slowly never holds one. Both waits are bounded (<c>Tracking:Bulk:AdmissionTimeout</c>).
/// </summary>
public sealed class BulkAdmission(IOptions<BulkOptions> options)
{
    private readonly SemaphoreSlim deciding = new(Math.Max(1, options.Value.MaxConcurrentRequests));

    public WorkspaceConcurrency Workspaces { get; } = new(options.Value.MaxConcurrentRequestsPerWorkspace);

    public TimeSpan Timeout => options.Value.AdmissionTimeout;

    /// <summary>A turn to parse and decide (dispose it to give it back), or null when none came free in time.</summary>
    public async Task<Admitted?> EnterAsync(CancellationToken cancellation) =>
        await deciding.WaitAsync(Timeout, cancellation) ? new Admitted(deciding) : null;

    public sealed class Admitted(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}

/// <summary>
/// POST /events/bulk: up to 1,000 Intercom event objects as a JSON array or NDJSON (gzip accepted), each
/// checked by the same rules as POST /events, de-duplicated also within the request. Answers 200 with one
/// result per item, in order: accepted, duplicate, rejected (with the errors a single request would get)
/// or, with <c>?atomic=true</c> when any item is rejected, not_stored.
/// </summary>
public static class TrackEventsInBulkEndpoint
{
    [WolverinePost("/events/bulk")]
    [Authorize(Policy = Policies.WriteEvents)]
    public static async Task<IResult> Post(HttpContext context, IMessageBus bus, IOptions<TrackingRules> rules, IOptions<BulkOptions> limits, BulkAdmission admission, TimeProvider clock)
    {
        var cancellation = context.RequestAborted;
        var workspace = context.User.WorkspaceOf();
        // Metrics: a request refused before its items are read counts as one rejected event, then each item once.
        var query = new QueryParameters(context.Request.Query);
        var atomic = query.Flag("atomic");
        if (!query.IsValid)
        {
            EventStoreMetrics.Rejected(workspace, query.Rejections[0].Code);
            return ErrorList.Result(context, query.Rejections);
        }

        using var workspaceTurn = await admission.Workspaces.EnterAsync(workspace, admission.Timeout, cancellation);
        if (workspaceTurn is null)
        {
            EventStoreMetrics.Rejected(workspace, RateLimits.Code);
            return admission.Workspaces.TooMany(context, "bulk requests");
        }

        var maxEvents = limits.Value.MaxEvents;
        var body = await RequestBody.ReadAsync(context, limits.Value.MaxBodyBytes, IsAccepted, cancellation,
            mediaType => new BulkItemCount(ndjson: !RequestBody.IsJsonMediaType(mediaType), maxEvents));
        if (body.Error is not null)
        {
            return EventStoreMetrics.RejectedBody(body.Error, workspace);
        }

        if (body.Stopped)
        {
            EventStoreMetrics.Rejected(workspace, "parameter_invalid");
            return ErrorList.Result(context, [TooManyEvents(maxEvents)]);
        }

        using var admitted = await admission.EnterAsync(cancellation);
        if (admitted is null)
        {
            EventStoreMetrics.Rejected(workspace, "service_unavailable");
            context.Response.Headers.RetryAfter = "1";
            return ErrorList.Result(context, StatusCodes.Status503ServiceUnavailable,
                new ApiError("service_unavailable", "Too many bulk requests are being processed; retry later"));
        }

        var (items, problem) = Split(body, maxEvents);
        if (problem is not null)
        {
            EventStoreMetrics.Rejected(workspace, problem.Code);
            return ErrorList.Result(context, [problem]);
        }

        // A bulk request counts against the workspace's rate limit by its events (the request itself took one).
        if (context.ConsumeRateLimit(items.Count - 1) is { } limited)
        {
            EventStoreMetrics.Rejected(workspace, RateLimits.Code, items.Count);
            return limited;
        }

        var now = clock.GetUtcNow();
        var parsed = items.Select(item => item.Json is { } json
            ? TrackEventRequest.Parse(json, rules.Value, now)
            : new ParsedTrackRequest(null, [item.Problem!], [])).ToList();
        return ApiJson.Ok(await TrackAsync(bus, workspace, parsed, atomic));
    }

    /// <summary>
    /// Commits the valid items of a parsed batch together (through the <see cref="EventCommitter"/>) and reports each
    /// item in order; every item is counted in the metrics once. Shared with the browser endpoint.
    /// </summary>
    internal static async Task<BulkResult> TrackAsync(IMessageBus bus, string workspace, IReadOnlyList<ParsedTrackRequest> parsed, bool atomic)
    {
        var commands = parsed.Select(p => p.Command).OfType<TrackEvent>().ToList();
        var refuseAll = atomic && commands.Count < parsed.Count;

        // Not cancelled by a client that hangs up: once handed over, the commands are committed anyway (as in POST /events).
        var outcomes = commands.Count == 0 || refuseAll
            ? []
            : (await bus.InvokeForTenantAsync<BulkOutcome>(workspace, new TrackEventsInBulk(commands, atomic), CancellationToken.None)).Outcomes;

        var results = new List<BulkItemResult>(parsed.Count);
        var next = 0;
        for (var index = 0; index < parsed.Count; index++)
        {
            var outcome = parsed[index].Command is null ? null : refuseAll ? TrackOutcome.NotStored : outcomes[next++];
            results.Add(BulkItemResult.Of(index, parsed[index].Rejections, outcome));
            // What the committer decided it counted itself; here what never reached it.
            if (parsed[index].Command is null)
            {
                EventStoreMetrics.Rejected(workspace, parsed[index].Rejections[0].Code);
            }
            else if (refuseAll)
            {
                EventStoreMetrics.Rejected(workspace, EventStoreMetrics.NotStoredReason);
            }
        }

        return new BulkResult(
            results.Count(r => r.Status == "accepted"),
            results.Count(r => r.Status == "duplicate"),
            results.Count(r => r.Status == "rejected"),
            results.Count(r => r.Status == "not_stored"),
            results);
    }

    private static bool IsAccepted(string mediaType) =>
        RequestBody.IsJsonMediaType(mediaType) || mediaType is "application/x-ndjson" or "application/jsonl" or "application/x-jsonlines";

    /// <summary>The items of a JSON array, or the lines of NDJSON (a bad line is that item's problem, not the request's).</summary>
    private static (IReadOnlyList<(JsonElement? Json, Rejection? Problem)> Items, Rejection? Problem) Split(RawBody body, int maxEvents)
    {
        var items = new List<(JsonElement?, Rejection?)>();
        if (RequestBody.IsJsonMediaType(body.MediaType))
        {
            if (!RequestBody.TryParse(body.Bytes, out var document, out var problem))
            {
                return ([], new Rejection(RejectionKind.Invalid, "bad_request", problem!, "body"));
            }

            using (document)
            {
                if (document!.RootElement.ValueKind != JsonValueKind.Array)
                {
                    return ([], Rejection.WrongType("body", "The request body must be a JSON array of event objects"));
                }

                items.AddRange(document.RootElement.EnumerateArray().Select(e => ((JsonElement?)e.Clone(), (Rejection?)null)));
            }
        }
        else
        {
            foreach (var line in Lines(body.Bytes))
            {
                items.Add(RequestBody.TryParse(line, out var document, out var problem)
                    ? (Clone(document!), null)
                    : (null, new Rejection(RejectionKind.Invalid, "bad_request", problem!, null)));
            }
        }

        return items.Count switch
        {
            0 => ([], Rejection.Invalid("body", "Send at least one event")),
            var n when n > maxEvents => ([], TooManyEvents(maxEvents)),
            _ => (items, null),
        };
    }

    private static Rejection TooManyEvents(int maxEvents) => Rejection.Invalid("body", $"At most {maxEvents} events per request");

    private static JsonElement Clone(JsonDocument document)
    {
        using (document)
        {
            return document.RootElement.Clone();
        }
    }

    private static List<ReadOnlyMemory<byte>> Lines(ReadOnlyMemory<byte> bytes)
    {
        var lines = new List<ReadOnlyMemory<byte>>();
        var rest = bytes;
        while (!rest.IsEmpty)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
            if (line.Span.Trim(" \t\r"u8).Length > 0)
            {
                lines.Add(line);
            }
        }

        return lines;
    }
}

/// <summary>What became of one item of a bulk request.</summary>
public sealed record BulkItemResult(int Index, string Status, IReadOnlyList<ApiError>? Errors)
{
    public static BulkItemResult Of(int index, IReadOnlyList<Rejection> rejections, TrackOutcome? outcome) =>
        outcome switch
        {
            null => new(index, "rejected", [.. rejections.Select(r => r.ToError())]),
            { Rejection: { } refused } => new(index, "rejected", [refused.ToError()]),
            { Stored: false } => new(index, "not_stored", null),
            { IsDuplicate: true } => new(index, "duplicate", null),
            _ => new(index, "accepted", null),
        };
}

public sealed record BulkResult(int Accepted, int Duplicates, int Rejected, int NotStored, IReadOnlyList<BulkItemResult> Results)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "event.bulk.result";
}

public static class TrackEventsInBulkHandler
{
    public static async Task<BulkOutcome> Handle(TrackEventsInBulk command, IMessageContext context, EventCommitter committer, CancellationToken cancellation) =>
        new(await committer.CommitAsync(context.TenantId!, new TrackingWork(command.Commands, command.Atomic), cancellation));
}
