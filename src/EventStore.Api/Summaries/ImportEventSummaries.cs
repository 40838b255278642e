using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Tracking;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace EventStore.Api.Summaries;

/// <summary>Intercom's summary import: bring a user's history in without raw events.</summary>
public sealed record ImportEventSummaries(UserReference Who, IReadOnlyList<ImportedSummary> Summaries)
{
    /// <summary>What logs show: how many summaries, never the user's identifiers.</summary>
    public override string ToString() => $"ImportEventSummaries {{ summaries = {Summaries.Count} }}";
}

/// <summary>What became of an import: how many summaries were recorded and how many were repeats.</summary>
public sealed record ImportOutcome(int Imported, int Duplicates, Rejection? Rejection);

/// <summary>Reads <c>{"user_id": ..., "event_summaries": {...} | [{...}, ...]}</c>.</summary>
public static class ImportEventSummariesRequest
{
    public const int MaxSummaries = 100;

    public static (ImportEventSummaries? Command, IReadOnlyList<Rejection> Rejections) Parse(JsonElement body, TrackingRules rules, DateTimeOffset now)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, [Rejection.WrongType("body", "The request body must be a JSON object")]);
        }

        var rejections = new List<Rejection>();
        var who = UserReferenceRequest.Parse(body, rejections);
        var summaries = new List<ImportedSummary>();
        if (!body.TryGetProperty("event_summaries", out var list) || list.ValueKind == JsonValueKind.Null)
        {
            rejections.Add(Rejection.Missing("event_summaries", "event_summaries is required: an object or an array of objects"));
        }
        else if (list.ValueKind == JsonValueKind.Object)
        {
            Read(list, "event_summaries", rules, now, rejections, summaries);
        }
        else if (list.ValueKind == JsonValueKind.Array && list.GetArrayLength() is > 0 and <= MaxSummaries)
        {
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                Read(item, $"event_summaries[{index++}]", rules, now, rejections, summaries);
            }
        }
        else
        {
            rejections.Add(Rejection.Invalid("event_summaries", $"event_summaries must be an object or an array of 1 to {MaxSummaries} objects"));
        }

        return rejections.Count > 0 ? (null, rejections) : (new ImportEventSummaries(who!, summaries), []);
    }

    private static void Read(JsonElement item, string field, TrackingRules rules, DateTimeOffset now, List<Rejection> rejections, List<ImportedSummary> summaries)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            rejections.Add(Rejection.WrongType(field, $"{field} must be an object"));
            return;
        }

        var before = rejections.Count;
        var raw = TrackEventRequest.ReadString(item, "event_name", rejections, required: true);
        EventName name = default;
        if (raw is not null && !EventName.TryParse(raw, $"{field}.event_name", out name, out var problem))
        {
            rejections.Add(problem!);
        }

        var count = ReadInteger(item, field, "count", rejections);
        var first = ReadTimestamp(item, field, "first", rules, now, rejections);
        var last = ReadTimestamp(item, field, "last", rules, now, rejections);
        if (rejections.Count > before)
        {
            return;
        }

        var summary = ImportedSummary.Create(name, count!.Value, first!.Value, last!.Value, field);
        if (summary.IsSuccess)
        {
            summaries.Add(summary.Value!);
        }
        else
        {
            rejections.Add(summary.Rejection!);
        }
    }

    private static long? ReadInteger(JsonElement item, string field, string name, List<Rejection> rejections)
    {
        var path = $"{field}.{name}";
        if (!item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            rejections.Add(Rejection.Missing(path, $"{path} is required"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            rejections.Add(Rejection.WrongType(path, $"{path} must be an integer"));
            return null;
        }

        return number;
    }

    private static long? ReadTimestamp(JsonElement item, string field, string name, TrackingRules rules, DateTimeOffset now, List<Rejection> rejections)
    {
        var value = ReadInteger(item, field, name, rejections);
        var problem = value is null ? null : UnixTime.CheckCreatedAt(value.Value, now, rules.AllowedFuture, $"{field}.{name}");
        if (problem is not null)
        {
            rejections.Add(problem);
            return null;
        }

        return value;
    }
}

/// <summary>POST /events/summaries: answered 200 once the summaries are durably recorded on the user's timeline.</summary>
public static class ImportEventSummariesEndpoint
{
    [WolverinePost("/events/summaries")]
    [Authorize(Policy = Policies.WriteEvents)]
    public static async Task<IResult> Post(HttpContext context, IMessageBus bus, IOptions<TrackingRules> rules, TimeProvider clock)
    {
        var cancellation = context.RequestAborted;
        using var body = await RequestBody.ReadJsonAsync(context, TrackEventEndpoint.MaxBodyBytes, cancellation);
        if (body.Error is not null)
        {
            return body.Error;
        }

        var (command, rejections) = ImportEventSummariesRequest.Parse(body.Root, rules.Value, clock.GetUtcNow());
        if (command is null)
        {
            return ErrorList.Result(context, rejections);
        }

        var workspace = context.User.WorkspaceOf();
        // Not cancelled by a client that hangs up (as in POST /events): an abandoned import would surface as a failed
        // handler, an error in the log, for what is only a closed connection.
        var outcome = await WriteConflicts.RetryAsync(workspace,
            () => bus.InvokeForTenantAsync<ImportOutcome>(workspace, command, CancellationToken.None), CancellationToken.None);
        return outcome.Rejection is not null
            ? ErrorList.Result(context, [outcome.Rejection])
            : ApiJson.Ok(new { type = "event.summary.import", imported = outcome.Imported, duplicates = outcome.Duplicates });
    }
}

public static class ImportEventSummariesHandler
{
    public static async Task<ImportOutcome> Handle(ImportEventSummaries command, IDocumentSession session, IOptions<TrackingRules> rules, CancellationToken cancellation)
    {
        var (known, catalog) = await UserTimelineStreams.LoadAsync(session, command.Who, cancellation);
        var resolved = UserTimelineStreams.Resolve(session, command.Who, known);
        if (!resolved.IsSuccess)
        {
            return new ImportOutcome(0, 0, resolved.Rejection);
        }

        var timeline = resolved.Value!.Timeline;
        var keys = command.Summaries.Select(s => s.KeyFor(timeline.Id)).Distinct().ToList();
        var recorded = resolved.Value.IsNew
            ? []
            : (await OccurrenceKeys.FindAsync(session, keys, cancellation)).ToHashSet(StringComparer.Ordinal);

        var events = new List<object>();
        var newKeys = new List<string>();
        foreach (var summary in command.Summaries)
        {
            // A summary already stored, or repeated within this request, is recorded once.
            var key = summary.KeyFor(timeline.Id);
            if (timeline.Import(session.TenantId, summary, alreadyImported: !recorded.Add(key)) is { } imported)
            {
                events.Add(imported);
                newKeys.Add(key);
            }
        }

        var refused = await UserTimelineStreams.AdmitNamesAsync(session, catalog, [.. command.Summaries.Select(s => s.Name)], rules.Value.ActiveEventNameCap, cancellation);
        if (refused is not null)
        {
            return new ImportOutcome(0, 0, refused);
        }

        if (events.Count > 0 || resolved.Value.IdentityEvents.Count > 0)
        {
            await UserTimelineStreams.AppendAsync(session, known, resolved.Value, events, cancellation);
        }

        OccurrenceKeys.Record(session, newKeys);

        return new ImportOutcome(events.Count, command.Summaries.Count - events.Count, null);
    }
}
