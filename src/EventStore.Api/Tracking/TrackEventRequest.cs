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
    public const int MaxIdentifierLength = 255;

    public static ParsedTrackRequest Parse(JsonElement body, TrackingRules rules, DateTimeOffset now)
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

        var createdAt = ReadCreatedAt(body, rules, now, rejections);
        var userId = ReadIdentifier(body, "user_id", rejections, allowInteger: true);
        var email = ReadEmail(body, rejections);
        var id = ReadIdentifier(body, "id", rejections, allowInteger: false);
        if (userId is null && email is null && id is null && !rejections.Any(r => r.Field is "user_id" or "email" or "id"))
        {
            rejections.Add(Rejection.Missing("user_id", "One of user_id, email or id is required to identify the user"));
        }

        var metadata = body.TryGetProperty("metadata", out var metadataElement)
            ? Metadata.Parse(metadataElement, rules.MetadataKeyCap)
            : new ParsedMetadata([], [], []);
        rejections.AddRange(metadata.Rejections);

        if (rejections.Count > 0)
        {
            return new ParsedTrackRequest(null, rejections, []);
        }

        var command = new TrackEvent(
            new UserReference(id, userId, email),
            new Occurrence(name, rawName!, createdAt!.Value, metadata.Entries));
        return new ParsedTrackRequest(command, [], metadata.IgnoredKeys);
    }

    private static string? ReadString(JsonElement body, string field, List<Rejection> rejections, bool required)
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

    private static long? ReadCreatedAt(JsonElement body, TrackingRules rules, DateTimeOffset now, List<Rejection> rejections)
    {
        const string field = "created_at";
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
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

    private static string? ReadIdentifier(JsonElement body, string field, List<Rejection> rejections, bool allowInteger)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // Some clients send numeric user ids; an integer has one obvious string form, so take it.
        if (allowInteger && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            return number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            rejections.Add(Rejection.WrongType(field, $"{field} must be a string"));
            return null;
        }

        var text = value.GetString()!;
        var problem = text.Trim().Length == 0 ? $"{field} must not be empty"
            : text.Length > MaxIdentifierLength ? $"{field} must be at most {MaxIdentifierLength} characters"
            : Text.HasControlCharacters(text) ? $"{field} must not contain control characters"
            : null;
        if (problem is not null)
        {
            rejections.Add(Rejection.Invalid(field, problem));
            return null;
        }

        return text;
    }

    private static string? ReadEmail(JsonElement body, List<Rejection> rejections)
    {
        var email = ReadIdentifier(body, "email", rejections, allowInteger: false)?.Trim();
        if (email is null)
        {
            return null;
        }

        var at = email.IndexOf('@');
        if (at <= 0 || at == email.Length - 1 || email.Any(char.IsWhiteSpace))
        {
            rejections.Add(Rejection.Invalid("email", "email must be an email address such as pi@example.org"));
            return null;
        }

        return email;
    }
}
