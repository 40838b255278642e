using System.Text.RegularExpressions;
using EventStore.Api.Errors;

namespace EventStore.Api.Http;

/// <summary>
/// Intercom clients send <c>Intercom-Version</c> (the Node SDK sends 2.14). Any 1.x or 2.x version and
/// "Unstable" are accepted and served with 2.x behaviour; anything else is Intercom's 400 <c>intercom_version_invalid</c>.
/// </summary>
public static partial class IntercomVersion
{
    public const string Header = "Intercom-Version";

    public static bool IsAccepted(string version) => KnownVersion().IsMatch(version.Trim());

    public static IApplicationBuilder UseIntercomVersionCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var version = context.Request.Headers[Header].ToString();
        if (version.Length > 0 && !IsAccepted(version))
        {
            await ErrorList.WriteAsync(context, StatusCodes.Status400BadRequest,
                new ApiError("intercom_version_invalid", "Intercom-Version must be a 1.x or 2.x version, or Unstable", Header));
            return;
        }

        await next(context);
    });

    [GeneratedRegex(@"^([12]\.\d{1,2}|Unstable)$", RegexOptions.IgnoreCase)]
    private static partial Regex KnownVersion();
}
