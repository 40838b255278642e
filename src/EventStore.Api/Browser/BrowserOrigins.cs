using EventStore.Api.Errors;

namespace EventStore.Api.Browser;

/// <summary>
/// CORS for the browser endpoint, per workspace: only a page of an allowed origin gets the
/// <c>Access-Control-Allow-*</c> headers that let it read the answer. The endpoint refuses any other origin
/// itself (403), because the widget's requests are "simple" ones that a browser sends without asking first.
/// </summary>
public static class BrowserOrigins
{
    /// <summary>How long a browser may cache a preflight answer.</summary>
    public const int PreflightMaxAgeSeconds = 86_400;

    /// <summary>
    /// <c>scheme://host[:port]</c> in lower case without a default port, as browsers send <c>Origin</c>; null for
    /// anything else (a path, a wildcard, <c>null</c>, a non-http scheme).
    /// </summary>
    public static string? Normalize(string? origin)
    {
        if (string.IsNullOrWhiteSpace(origin)
            || !Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || origin.Contains('*', StringComparison.Ordinal))
        {
            return null;
        }

        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }

    /// <summary>Lets the page of <paramref name="origin"/> read this response (and its error body, request id and Retry-After).</summary>
    public static void Allow(HttpResponse response, string origin)
    {
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.AccessControlExposeHeaders = "Retry-After, X-Request-Id";
        response.Headers.Vary = "Origin";
    }

    /// <summary>
    /// <c>OPTIONS /messenger/{appId}/events</c>: the preflight a browser sends before a request it may not send
    /// unasked (e.g. with <c>Content-Type: application/json</c>). Allowed origin: 204 with the CORS headers;
    /// otherwise 403 without them, which the browser reports as a CORS failure.
    /// </summary>
    public static IResult Preflight(HttpContext context, string appId, BrowserWorkspaces workspaces)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (workspaces.Find(appId) is not { } workspace || !workspace.Allows(origin))
        {
            return ErrorList.Result(context, StatusCodes.Status403Forbidden, BrowserRefusals.OriginNotAllowed(origin));
        }

        Allow(context.Response, origin);
        context.Response.Headers.AccessControlAllowMethods = "POST";
        context.Response.Headers.AccessControlAllowHeaders = "Content-Type";
        context.Response.Headers.AccessControlMaxAge = PreflightMaxAgeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.NoContent();
    }
}
