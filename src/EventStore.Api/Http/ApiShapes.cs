using System.ComponentModel;
using System.Text.Json;
using EventStore.Api.Admin;
using EventStore.Api.Errors;
using EventStore.Api.Operations;
using EventStore.Api.Segments;

namespace EventStore.Api.Http;

// The shapes of bodies that endpoints read or write by hand (a JsonElement parsed under Intercom's rules, a stream
// written with Utf8JsonWriter, an anonymous object), for the OpenAPI document only (ApiDescriptions). The document
// test validates real answers against them, so they cannot drift from what the endpoints do.
#pragma warning disable CA1812 // only reflected over

[Description("Intercom's error body: every broken rule, each naming its field when it concerns one.")]
internal sealed record ErrorListShape(string Type, string RequestId, IReadOnlyList<ApiError> Errors);

[Description("One event, as Intercom's POST /events takes it. One of user_id, email or id names the user.")]
internal sealed class TrackEventShape
{
    [Description("What happened, e.g. invited-friend; case-insensitive, '.' and '$' become '-'")]
    public required string EventName { get; init; }

    [Description("When, in Unix seconds (UTC)")]
    public required long CreatedAt { get; init; }

    public string? UserId { get; init; }

    public string? Email { get; init; }

    [Description("The service's own id of the user (intercom_user_id)")]
    public string? Id { get; init; }

    [Description("Up to 10 keys: strings, numbers, dates (keys ending in _date), links, {url, value} rich links, {amount, currency} money")]
    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

[Description("History without raw events: {event_name, count, first, last} (Unix seconds), or an array of up to 100 of them.")]
internal sealed class SummaryImportShape
{
    public string? UserId { get; init; }

    public string? Email { get; init; }

    public string? Id { get; init; }

    public required JsonElement EventSummaries { get; init; }
}

internal sealed record SummaryImportResultShape(string Type, int Imported, int Duplicates);

internal sealed class PagesShape
{
    public required string Type { get; init; }

    [Description("Older events; absent on the last page")]
    public string? Next { get; init; }

    [Description("What arrives later: poll it")]
    public required string Since { get; init; }
}

internal sealed record TimelineEventShape(string Type, string Id, string EventName, long CreatedAt, string? UserId, string? Email, string IntercomUserId,
    Dictionary<string, JsonElement> Metadata);

[Description("A user's events, newest first (event.list), or with summary=true the per-name summary (event.summary)")]
internal sealed class EventListShape
{
    public required string Type { get; init; }

    [Description("event.list: the events; event.summary: {name, first, last, count, description} per name")]
    public required IReadOnlyList<JsonElement> Events { get; init; }

    [Description("event.list only")]
    public PagesShape? Pages { get; init; }

    public string? UserId { get; init; }

    public string? Email { get; init; }

    public string? IntercomUserId { get; init; }
}

internal sealed class SegmentPagesShape
{
    public required string Type { get; init; }

    public required int PerPage { get; init; }

    [Description("The next page (a URL, or for the search a body fragment with starting_after); absent on the last page")]
    public JsonElement? Next { get; init; }
}

internal sealed record SegmentListShape(string Type, IReadOnlyList<Segment> Segments, SegmentPagesShape Pages);

internal sealed record SegmentUserListShape(string Type, string Segment, long TotalCount, IReadOnlyList<SegmentUser> Users, SegmentPagesShape Pages);

[Description("A boolean query over segments: a condition {event_name, count_gt, …, last_less_than_days_ago}, or {and: [...]}, {or: [...]}, {not: {...}}")]
internal sealed class SegmentSearchShape
{
    public required JsonElement Query { get; init; }

    public int? PerPage { get; init; }

    public string? StartingAfter { get; init; }
}

internal sealed record UserListShape(string Type, long TotalCount, IReadOnlyList<SearchUser> Users, SegmentPagesShape Pages);

internal sealed record EventNameListShape(string Type, IReadOnlyList<EventStore.Api.EventNames.EventNameListing> EventNames, SegmentPagesShape Pages);

internal sealed class DescriptionShape
{
    [Description("At most 1000 characters; null clears it")]
    public required string? Description { get; init; }
}

[Description("A batch from the widget: the booted user and their events (created_at is stamped by the server when absent)")]
internal sealed class BrowserBatchShape
{
    public string? UserId { get; init; }

    public string? Email { get; init; }

    [Description("Lower-case hex HMAC-SHA256 of user_id (or email) with the workspace's identity secret")]
    public string? UserHash { get; init; }

    public required IReadOnlyList<JsonElement> Events { get; init; }
}

[Description("One of user_id, email or intercom_user_id")]
internal sealed class UserReferenceShape
{
    public string? UserId { get; init; }

    public string? Email { get; init; }

    public string? IntercomUserId { get; init; }
}

internal sealed record ErasureShape(string Type, bool Erased, long EventsRemoved);

[Description("Everything stored about a user: identity, summary, imported summaries and every event, oldest first")]
internal sealed record ExportShape(string Type, JsonElement User, JsonElement Summary, JsonElement ImportedSummaries, IReadOnlyList<TimelineEventShape> Events);

internal sealed record ProjectionListShape(string Type, IReadOnlyList<ProjectionStatus> Data);

internal sealed class CreateTokenShape
{
    public required string Workspace { get; init; }

    [Description("events:read, events:write, users:erase")]
    public required IReadOnlyList<string> Scopes { get; init; }

    public string? Name { get; init; }
}

internal sealed record TokenListShape(string Type, IReadOnlyList<AccessTokenResource> AccessTokens);
