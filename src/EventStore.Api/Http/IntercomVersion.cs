using System.Security.Claims;
using System.Text.RegularExpressions;
using EventStore.Api.Errors;
using EventStore.Api.Telemetry;
using EventStore.Api.Workspaces;
using Microsoft.AspNetCore.Authentication;

namespace EventStore.Api.Http;

/// <summary>
/// Intercom clients send <c>Intercom-Version</c> (the Node SDK sends 2.14). Any 1.x or 2.x version and
/// "Unstable" are accepted and served with 2.x behaviour; anything else is Intercom's 400 <c>intercom_version_invalid</c>.
/// </summary>
public static partial class IntercomVersion
{
    public const string Header = "Intercom-Version";

    public const string Code = "intercom_version_invalid";

    public static bool IsAccepted(string version) => KnownVersion().IsMatch(version.Trim());

    public static IApplicationBuilder UseIntercomVersionCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var version = context.Request.Headers[Header].ToString();
        if (version.Length > 0 && !IsAccepted(version))
        {
            // Refused before authentication: the workspace an event would have counted against is found only now.
            if ((await context.AuthenticateAsync()).Principal?.FindFirstValue(Policies.WorkspaceClaim) is { } workspace)
            {
                EventStoreMetrics.RejectedRequest(context, workspace, Code);
            }

            await ErrorList.WriteAsync(context, StatusCodes.Status400BadRequest,
                new ApiError(Code, "Intercom-Version must be a 1.x or 2.x version, or Unstable", Header));
            return;
        }

        await next(context);
    });

    [GeneratedRegex(@"^([12]\.\d{1,2}|Unstable)$", RegexOptions.IgnoreCase)]
    private static partial Regex KnownVersion();
}
