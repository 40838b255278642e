using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Protection;
using EventStore.Api.Telemetry;
using EventStore.Api.Tracking;
using EventStore.Domain;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace EventStore.Api.Browser;

/// <summary>Limits of the browser endpoint (configuration section "Browser"); rates are in events per window, 0 turns one off.</summary>
public sealed class BrowserLimits
{
    public long MaxBodyBytes { get; set; } = 64 * 1024;

    public int MaxEventsPerRequest { get; set; } = 50;

    /// <summary>Browser events per workspace per window, apart from the workspace's server-side budget (<c>RateLimits:*</c>).</summary>
    public int EventsPerWorkspace { get; set; } = 2000;

    /// <summary>Browser events per user of a workspace per window.</summary>
    public int EventsPerVisitor { get; set; } = 60;

    public int WindowSeconds { get; set; } = 10;
}

/// <summary>Who a browser batch is for: the user it names, and the identifier its <c>user_hash</c> must sign.</summary>
public sealed record BrowserUser(UserReference Reference, string SignedIdentifier, string? UserHash)
{
    /// <summary>The visitor's rate-limit key: its identity, never the page's word for who it is.</summary>
    public string VisitorKey => Reference.UserId is { } userId ? $"user_id:{userId}" : $"email:{UserReference.EmailKey(Reference.Email)}";
}

/// <summary>A browser batch as read: its user and events, or every request-level rule it breaks.</summary>
public sealed record BrowserBatch(BrowserUser? User, IReadOnlyList<JsonElement> Events, IReadOnlyList<Rejection> Rejections);

/// <summary>
/// Reads the widget's batch: <c>{"user_id" | "email", "user_hash", "events": [{"event_name", "created_at"?, "metadata"?}, …]}</c>.
/// The user is named once for the batch, by <c>user_id</c> or else by <c>email</c>: the one identifier a
/// <c>user_hash</c> signs. An email sent with a user_id is ignored, so a page can never attach an unverified email
/// to a verified user. Each event is then read by <see cref="TrackEventRequest"/>, as POST /events reads it.
/// </summary>
public static class BrowserBatchRequest
{
    public static BrowserBatch Parse(JsonElement body, int maxEvents)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return new BrowserBatch(null, [], [Rejection.WrongType("body", "The request body must be a JSON object")]);
        }

        var rejections = new List<Rejection>();
        var userId = UserReferenceRequest.ReadIdentifier(body, "user_id", rejections, allowInteger: true);
        var email = userId is null ? UserReferenceRequest.ReadEmail(body, rejections) : null;
        var userHash = TrackEventRequest.ReadString(body, "user_hash", rejections, required: false);
        if (userId is null && email is null && rejections.Count == 0)
        {
            rejections.Add(Rejection.Missing("user_id",
                "Boot the page with a user_id or an email (and its user_hash): events of anonymous visitors are not accepted"));
        }

        var events = new List<JsonElement>();
        if (!body.TryGetProperty("events", out var list) || list.ValueKind == JsonValueKind.Null)
        {
            rejections.Add(Rejection.Missing("events", "events is required: an array of event objects"));
        }
        else if (list.ValueKind != JsonValueKind.Array)
        {
            rejections.Add(Rejection.WrongType("events", "events must be an array of event objects"));
        }
        else
        {
            events.AddRange(list.EnumerateArray());
            if (events.Count == 0 || events.Count > maxEvents)
            {
                rejections.Add(Rejection.Invalid("events", $"Send 1 to {maxEvents} events per request"));
            }
        }

        if (rejections.Count > 0)
        {
            return new BrowserBatch(null, [], rejections);
        }

        var user = new BrowserUser(new UserReference(null, userId, email), (userId ?? email)!, userHash);
        return new BrowserBatch(user, events, []);
    }
}

/// <summary>The refusals of the browser endpoint that concern the page rather than one event.</summary>
public static class BrowserRefusals
{
    public static ApiError OriginNotAllowed(string? origin) =>
        new("forbidden", $"Origin '{Shorten(origin)}' may not send events to this app_id: add it to Workspaces:N:Browser:AllowedOrigins", "Origin");

    public static readonly ApiError NoIdentityCheck = new("forbidden",
        "This app_id takes no browser events: it has no Browser:IdentitySecret and does not set Browser:AllowUnverified");

    public static readonly ApiError UserNotVerified = new("forbidden",
        "user_hash must be the HMAC-SHA256 of the user_id (or of the email when there is no user_id) with this app's identity secret", "user_hash");

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 100 ? text : text[..100] + "…";
}

/// <summary>
/// Per-workspace and per-visitor budgets of browser events (<see cref="BrowserLimits"/>), apart from the
/// workspace's server-side budget, so that no page can starve the customer's own servers.
/// </summary>
public sealed class BrowserRateLimits(IOptions<BrowserLimits> options, TimeProvider clock)
{
    private readonly FixedWindowRateLimiter workspaces = Limiter(options.Value.EventsPerWorkspace, options.Value.WindowSeconds, clock);
    private readonly FixedWindowRateLimiter visitors = Limiter(options.Value.EventsPerVisitor, options.Value.WindowSeconds, clock);

    /// <summary>Takes <paramref name="events"/> from the visitor's budget, then from the workspace's; null when both had room.</summary>
    public RateLimitDecision? Exceeded(string workspace, BrowserUser user, int events)
    {
        if (visitors.IsEnabled && visitors.TryConsume($"{workspace}|{user.VisitorKey}", events) is { Allowed: false } visitor)
        {
            return visitor;
        }

        return workspaces.IsEnabled && workspaces.TryConsume(workspace, events) is { Allowed: false } all ? all : null;
    }

    private static FixedWindowRateLimiter Limiter(int events, int windowSeconds, TimeProvider clock) =>
        new(Options.Create(new RateLimitOptions { RequestsPerWindow = events, WindowSeconds = windowSeconds }), clock);
}

/// <summary>
/// <c>POST /messenger/{appId}/events</c>: what the widget (<c>/messenger/widget.js</c>) sends for
/// <c>Intercom('trackEvent', …)</c>. No token: the page's origin must be allowed for the workspace, and its user
/// verified by <c>user_hash</c> (unless the workspace allows unverified users). The events then go through the rules,
/// de-duplication and group commit of <c>POST /events/bulk</c>, and the answer is the same per-event
/// <c>event.bulk.result</c>, which the widget turns into console warnings for refused events. See ADR 0014.
/// </summary>
public static class TrackFromBrowserEndpoint
{
    [WolverinePost("/messenger/{appId}/events")]
    public static async Task<IResult> Post(HttpContext context, string appId, IMessageBus bus, BrowserWorkspaces browsers, BrowserRateLimits rateLimits,
        IOptions<TrackingRules> rules, IOptions<BrowserLimits> limits, TimeProvider clock)
    {
        var origin = context.Request.Headers.Origin.ToString();
        // An unknown app_id is answered as an origin it does not allow: nothing tells which workspaces exist.
        if (browsers.Find(appId) is not { } browser || !browser.Allows(origin))
        {
            return ErrorList.Result(context, StatusCodes.Status403Forbidden, BrowserRefusals.OriginNotAllowed(origin));
        }

        var workspace = browser.Id;
        BrowserOrigins.Allow(context.Response, origin);
        if (!browser.VerifiesIdentity && !browser.AllowUnverified)
        {
            return ErrorList.Result(context, StatusCodes.Status403Forbidden, BrowserRefusals.NoIdentityCheck);
        }

        var raw = await RequestBody.ReadAsync(context, limits.Value.MaxBodyBytes, IsAccepted, context.RequestAborted);
        if (raw.Error is not null)
        {
            return EventStoreMetrics.RejectedBody(raw.Error, workspace);
        }

        if (!RequestBody.TryParse(raw.Bytes, out var document, out var problem))
        {
            EventStoreMetrics.Rejected(workspace, "bad_request");
            return ErrorList.Result(context, StatusCodes.Status400BadRequest, new ApiError("bad_request", problem!, "body"));
        }

        using (document)
        {
            var batch = BrowserBatchRequest.Parse(document!.RootElement, limits.Value.MaxEventsPerRequest);
            if (batch.User is not { } user)
            {
                EventStoreMetrics.Rejected(workspace, batch.Rejections[0].Code);
                return ErrorList.Result(context, batch.Rejections);
            }

            // A hash is checked whenever the workspace has a secret, even where unverified users are allowed: a wrong one is a mistake to report.
            var verified = browser.Verifies(user.SignedIdentifier, user.UserHash);
            if (!verified && (!browser.AllowUnverified || (browser.VerifiesIdentity && user.UserHash is not null)))
            {
                return ErrorList.Result(context, StatusCodes.Status403Forbidden, BrowserRefusals.UserNotVerified);
            }

            if (rateLimits.Exceeded(workspace, user, batch.Events.Count) is { } exceeded)
            {
                context.Response.Headers.RetryAfter = exceeded.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                EventStoreMetrics.Rejected(workspace, RateLimits.Code, batch.Events.Count);
                return ErrorList.Result(context, StatusCodes.Status429TooManyRequests,
                    new ApiError(RateLimits.Code, $"Exceeded rate limit of {exceeded.Limit} events in {exceeded.WindowSeconds}_seconds"));
            }

            var now = clock.GetUtcNow();
            var parsed = batch.Events.Select(item => item.ValueKind == JsonValueKind.Object
                ? TrackEventRequest.Parse(item, rules.Value, now, user.Reference)
                : new ParsedTrackRequest(null, [Rejection.WrongType("events", "Each event must be a JSON object")], [])).ToList();
            return ApiJson.Ok(await TrackEventsInBulkEndpoint.TrackAsync(bus, workspace, parsed, atomic: false));
        }
    }

    /// <summary>The widget sends <c>text/plain</c> (no preflight, and the only type <c>sendBeacon</c> sends without one); JSON is accepted too.</summary>
    private static bool IsAccepted(string mediaType) =>
        RequestBody.IsJsonMediaType(mediaType) || mediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
}
