using System.Text.Json;
using EventStore.Domain;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;

namespace EventStore.Api.Tracking;

/// <summary>The result of reading Intercom's event object: a command, or every rule it breaks.</summary>
public sealed record ParsedTrackRequest(TrackEvent? Command, IReadOnlyList<Rejection> Rejections, IReadOnlyList<string> IgnoredMetadataKeys);

/// <summary>
/// Reads one Intercom event object (<c>event_name</c>, <c>created_at</c>, <c>user_id</c> / <c>email</c> /
/// <c>id</c>, <c>metadata</c>) into a <see cref="TrackEvent"/> command. Every broken rule is reported,
/// each naming its field. Unknown fields are ignored, as Intercom does.
/// </summary>
public static class TrackEventRequest
{
    public static ParsedTrackRequest Parse(JsonElement body, TrackingRules rules, DateTimeOffset now) => Parse(body, rules, now, who: null);

    /// <summary>
    /// With <paramref name="who"/> (the browser's verified user, Browser/TrackFromBrowser.cs) the object names no user
    /// of its own, and a missing <c>created_at</c> is the time of the request; every other rule is the same.
    /// </summary>
    public static ParsedTrackRequest Parse(JsonElement body, TrackingRules rules, DateTimeOffset now, UserReference? who)
    {
        var rejections = new List<Rejection>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            return new ParsedTrackRequest(null, [Rejection.WrongType("body", "The request body must be a JSON object")], []);
        }

        var rawName = ReadString(body, "event_name", rejections, required: true);
        EventName name = default;
        if (rawName is not null && !EventName.TryParse(rawName, "event_name", out name, out var nameProblem))
        {
            rejections.Add(nameProblem!);
        }

        var createdAt = ReadCreatedAt(body, rules, now, rejections, stampWhenMissing: who is not null);
        who ??= UserReferenceRequest.Parse(body, rejections);

        var metadata = body.TryGetProperty("metadata", out var metadataElement)
            ? Metadata.Parse(metadataElement, rules.MetadataKeyCap)
            : new ParsedMetadata([], [], []);
        rejections.AddRange(metadata.Rejections);

        if (rejections.Count > 0)
        {
            return new ParsedTrackRequest(null, rejections, []);
        }

        var command = new TrackEvent(
            who!,
            new Occurrence(name, rawName!, createdAt!.Value, metadata.Entries));
        return new ParsedTrackRequest(command, [], metadata.IgnoredKeys);
    }

    internal static string? ReadString(JsonElement body, string field, List<Rejection> rejections, bool required)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                rejections.Add(Rejection.Missing(field, $"{field} is required"));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            rejections.Add(Rejection.WrongType(field, $"{field} must be a string"));
            return null;
        }

        return value.GetString();
    }

    private static long? ReadCreatedAt(JsonElement body, TrackingRules rules, DateTimeOffset now, List<Rejection> rejections, bool stampWhenMissing)
    {
        const string field = "created_at";
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (stampWhenMissing)
            {
                return now.ToUnixTimeSeconds();
            }

            rejections.Add(Rejection.Missing(field, "created_at is required: when the event happened, as a Unix timestamp in seconds"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            rejections.Add(Rejection.WrongType(field, "created_at must be an integer Unix timestamp in seconds"));
            return null;
        }

        if (!value.TryGetInt64(out var seconds))
        {
            rejections.Add(Rejection.Invalid(field, "created_at must be a positive integer Unix timestamp in seconds"));
            return null;
        }

        var problem = UnixTime.CheckCreatedAt(seconds, now, rules.AllowedFuture);
        if (problem is not null)
        {
            rejections.Add(problem);
            return null;
        }

        return seconds;
    }
}
