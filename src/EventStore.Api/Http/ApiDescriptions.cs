using EventStore.Api.Admin;
using EventStore.Api.EventNames;
using EventStore.Api.Operations;
using EventStore.Api.Overview;
using EventStore.Api.Segments;
using EventStore.Api.Tracking;
using EventStore.Api.Workspaces;

namespace EventStore.Api.Http;

/// <summary>A query parameter of an endpoint, as the document shows it.</summary>
internal sealed record QueryParameter(string Name, string Description, bool Required = false, string Type = "string");

/// <summary>An answer of an endpoint: its status, what it means, and the body's shape (none for an empty body).</summary>
internal sealed record Answer(int Status, string Description, Type? Body = null, string ContentType = "application/json");

/// <summary>How one endpoint is described in the OpenAPI document.</summary>
internal sealed record Operation(string Tag, string Summary, string Description, IReadOnlyList<QueryParameter> Query, Type? Request, IReadOnlyList<Answer> Answers,
    IReadOnlyList<int> Errors, IReadOnlyList<string>? RequestContentTypes = null, bool Anonymous = false);

/// <summary>
/// What the OpenAPI document says of each endpoint, in one place: the endpoints parse their query strings and bodies
/// under Intercom's rules themselves, so ASP.NET Core cannot infer them. Keyed by method and route; a Wolverine
/// endpoint missing here fails the document test. Errors are always Intercom's <c>error.list</c>.
/// </summary>
internal static class ApiDescriptions
{
    private static readonly QueryParameter PerPage = new("per_page", "Items per page, 1 to 100 (default 15)", Type: "integer");
    private static readonly QueryParameter StartingAfter = new("starting_after", "The cursor of pages.next of the previous page");
    private static readonly QueryParameter[] WhoQuery =
    [
        new("user_id", "The user's id in your system"), new("email", "The user's email (case-insensitive)"),
        new("intercom_user_id", "The service's id of the user"),
    ];

    private static readonly QueryParameter[] SegmentFilters =
    [
        .. new[] { "count_gt", "count_lt", "count_eq", "count_ne" }.Select(n => new QueryParameter(n, $"Count {n[6..]} N", Type: "integer")),
        .. new[] { "first_before", "first_after", "last_before", "last_after" }.Select(n => new QueryParameter(n, "Unix seconds", Type: "integer")),
        .. new[] { "first_more_than_days_ago", "first_less_than_days_ago", "last_more_than_days_ago", "last_less_than_days_ago" }
            .Select(n => new QueryParameter(n, "Days", Type: "integer")),
    ];

    public static readonly IReadOnlyDictionary<string, Operation> All = new Dictionary<string, Operation>(StringComparer.Ordinal)
    {
        ["POST /events"] = new("Tracking", "Submit an event", "Intercom's POST /events: stored once per user, name and created_at; a repeat is answered 202 too.",
            [], typeof(TrackEventShape), [new(202, "Stored, or a duplicate of a stored event (empty body)")], [400, 404, 409, 413, 415, 422]),
        ["POST /events/bulk"] = new("Tracking", "Submit up to 1,000 events", "A JSON array or NDJSON, optionally gzip-compressed; each item answered on its own.",
            [new("atomic", "true: nothing is stored unless every item is valid", Type: "boolean")], typeof(TrackEventShape[]),
            [new(200, "Each item's outcome", typeof(BulkResult))], [400, 413, 415], ["application/json", "application/x-ndjson"]),
        ["POST /events/summaries"] = new("Tracking", "Import event summaries", "History without raw events: counts add up with tracked events.",
            [], typeof(SummaryImportShape), [new(200, "Imported and duplicate summaries", typeof(SummaryImportResultShape))], [400, 404, 409, 413, 415, 422]),
        ["GET /events"] = new("Timelines", "A user's events or summary", "Intercom's event.list, newest first, paged with pages.next and polled with pages.since; with summary=true Intercom's event.summary.",
            [new("type", "Must be user", Required: true), .. WhoQuery, PerPage, new("summary", "true: the per-name summary instead", Type: "boolean"),
                new("before", "Cursor of pages.next"), new("since", "Cursor of pages.since")],
            null, [new(200, "The events (event.list) or the summary (event.summary)", typeof(EventListShape))], [400, 404]),
        ["GET /events/activity"] = new("Activity", "Events per hour or per day", "Tracked events per name in each of the last 24 hours or 30 days (UTC), by created_at.",
            [new("interval", "hour (default) or day")], null, [new(200, "Counts per bucket and name", typeof(EventActivity))], [400]),
        ["GET /workspace"] = new("Activity", "The workspace's totals", "Users, tracked events, active and archived event names, the cap on active names.",
            [], null, [new(200, "Totals", typeof(WorkspaceTotals))], []),
        ["GET /me"] = new("Access", "Who this token is", "The token's workspace (none for an operator token), scopes and id.",
            [], null, [new(200, "The token's identity", typeof(TokenIdentity))], []),
        ["GET /segments"] = new("Segments", "Every event name as a segment", "Users and events per name; archived names only with include_archived=true.",
            [PerPage, StartingAfter, new("include_archived", "true to list archived names too", Type: "boolean")], null,
            [new(200, "A page of segments", typeof(SegmentListShape))], [400]),
        ["GET /segments/{eventName}"] = new("Segments", "One segment", "An event name's users and events.",
            [], null, [new(200, "The segment", typeof(Segment))], [400, 404]),
        ["GET /segments/{eventName}/users"] = new("Segments", "The users of a segment", "Filtered on their count, first and last occurrence, combined with AND.",
            [PerPage, StartingAfter, .. SegmentFilters], null, [new(200, "A page of users and the total", typeof(SegmentUserListShape))], [400, 404]),
        ["POST /segments/search"] = new("Segments", "Search users with a boolean query", "Conditions over several names combined with and / or / not.",
            [], typeof(SegmentSearchShape), [new(200, "A page of users and the total", typeof(UserListShape))], [400, 413, 415]),
        ["GET /event-names"] = new("Event names", "The event-name registry", "Every name with its description, archived flag and counts.",
            [PerPage, StartingAfter], null, [new(200, "A page of names", typeof(EventNameListShape))], [400]),
        ["PUT /event-names/{name}"] = new("Event names", "Describe an event name", "Sets or clears the description shown in summaries.",
            [], typeof(DescriptionShape), [new(200, "The name", typeof(EventNameResource))], [400, 404, 413, 415]),
        ["POST /event-names/{name}/archive"] = new("Event names", "Archive an event name", "Hides it from segments and frees its slot under the cap.",
            [], null, [new(200, "The name", typeof(EventNameResource))], [400, 404]),
        ["POST /event-names/{name}/unarchive"] = new("Event names", "Unarchive an event name", "Takes a slot under the cap again.",
            [], null, [new(200, "The name", typeof(EventNameResource))], [400, 404, 422]),
        ["POST /users/erase"] = new("Privacy", "Erase a user", "Removes the user's events and every read-model row (token scope users:erase).",
            [], typeof(UserReferenceShape), [new(200, "Erased", typeof(ErasureShape))], [400, 404, 413, 415]),
        ["GET /users/export"] = new("Privacy", "Export a user", "Everything stored about the user, streamed (token scope users:erase).",
            [.. WhoQuery], null, [new(200, "The user's data", typeof(ExportShape))], [400, 404]),
        ["GET /admin/projections"] = new("Operations", "Projection status", "Every projection's state, position and lag (operator token).",
            [], null, [new(200, "The projections", typeof(ProjectionListShape))], []),
        ["POST /admin/projections/{name}/rebuild"] = new("Operations", "Start a rebuild", "Rebuilds a projection (or all) online, in the background (operator token).",
            [new("workspace", "Only this workspace")], null, [new(202, "Started; Location names the job", typeof(RebuildJobResource))], [400, 404, 409]),
        ["GET /admin/projections/rebuilds"] = new("Operations", "Recent rebuilds", "The latest rebuild jobs, newest first (operator token).",
            [new("per_page", "Jobs, 1 to 100 (default 20)", Type: "integer")], null, [new(200, "The jobs", typeof(RebuildJobList))], [400]),
        ["GET /admin/projections/rebuilds/{id}"] = new("Operations", "A rebuild's progress", "State, phase, events done, rate and ETA (operator token).",
            [], null, [new(200, "The job", typeof(RebuildJobResource))], [404]),
        ["POST /admin/tokens"] = new("Access", "Create a workspace token", "The secret is in this answer only (operator token).",
            [], typeof(CreateTokenShape), [new(201, "The token and its secret", typeof(CreatedAccessTokenResource))], [400, 404, 413, 415]),
        ["GET /admin/tokens"] = new("Access", "List tokens", "Tokens issued at run time and not revoked, never their secrets (operator token).",
            [new("workspace", "Only this workspace's")], null, [new(200, "The tokens", typeof(TokenListShape))], [400, 404]),
        ["POST /messenger/{appId}/events"] = new("Browser", "Track from a web page", "What the widget sends for Intercom('trackEvent', …): no token; " +
            "the page's origin must be allowed for the workspace (appId) and the user verified by user_hash. Same rules and answer as POST /events/bulk.",
            [], typeof(BrowserBatchShape), [new(200, "Each event's outcome", typeof(BulkResult))], [400, 403, 413, 415], Anonymous: true),
        ["GET /messenger/widget.js"] = new("Browser", "The widget script", "window.Intercom for trackEvent, boot, update, shutdown, getVisitorId.",
            [], null, [new(200, "The script", ContentType: "text/javascript")], [], Anonymous: true),
        ["GET /widget/{appId}"] = new("Browser", "The widget script (Intercom's URL shape)", "The same script, at the path Intercom's loaders use.",
            [], null, [new(200, "The script", ContentType: "text/javascript")], [], Anonymous: true),
        ["DELETE /admin/tokens/{id}"] = new("Access", "Revoke a token", "The next request with it is 401, on every node (operator token).",
            [], null, [new(204, "Revoked")], [404]),
    };

    /// <summary>The key of an endpoint in <see cref="All"/>: "GET /segments/{eventName}".</summary>
    public static string KeyOf(string? method, string? relativePath) => $"{method} /{relativePath?.TrimStart('/')}";

    public static string ErrorMeaning(int status) => status switch
    {
        400 => "Invalid parameter or body (parameter_invalid, parameter_not_found, type_mismatch, bad_request)",
        401 => "Missing, unknown or revoked token (unauthorized)",
        403 => "The token may not do this (forbidden)",
        404 => "Not found (not_found)",
        409 => "Conflict (conflict)",
        413 => "Body too large (request_too_large)",
        415 => "Body is not JSON (unsupported_media_type)",
        422 => "Beyond the cap on active event names (unprocessable_entity)",
        429 => "Rate limit exceeded (rate_limit_exceeded)",
        503 => "Database unavailable; retry after Retry-After (service_unavailable)",
        _ => "Error",
    };
}
