using System.Globalization;
using System.Text.Json;
using EventStore.Api.Browser;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Browser;

/// <summary>
/// Workspaces that take browser events: acme verifies identities (secret <see cref="AcmeSecret"/>), globex allows
/// unverified users, initech has allowed origins but neither a secret nor permission for unverified users.
/// </summary>
public class BrowserWorkspacesService(PostgresServer postgres) : ApiFixture(postgres)
{
    public const string AcmeSecret = "acme-identity-secret-0123456789";
    public const string AcmePage = "https://app.acme.test";
    public const string GlobexPage = "https://app.globex.test";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Workspaces:0:Browser:AllowedOrigins:0"] = AcmePage,
        ["Workspaces:0:Browser:AllowedOrigins:1"] = "http://localhost:5173",
        ["Workspaces:0:Browser:IdentitySecret"] = AcmeSecret,
        ["Workspaces:1:Browser:AllowedOrigins:0"] = GlobexPage,
        ["Workspaces:1:Browser:AllowUnverified"] = "true",
        ["Workspaces:2:Id"] = "initech",
        ["Workspaces:2:Browser:AllowedOrigins:0"] = "https://app.initech.test",
    }.Concat(More).ToDictionary();

    protected virtual IReadOnlyDictionary<string, string> More => new Dictionary<string, string>();

    /// <summary>POSTs a batch as the widget does (text/plain), from a page of <paramref name="origin"/> (none when null).</summary>
    public Task<Response> SendBatch(string app, object body, string? origin = AcmePage, string contentType = "text/plain") =>
        SendRaw(app, JsonSerializer.Serialize(body), origin, contentType);

    public Task<Response> SendRaw(string app, string body, string? origin = AcmePage, string contentType = "text/plain") =>
        Host.Send(HttpMethod.Post, $"/messenger/{app}/events", body, token: null, contentType: contentType,
            headers: origin is null ? null : new Dictionary<string, string> { ["Origin"] = origin });

    /// <summary>A batch for acme's <paramref name="userId"/>, signed as acme's server would sign it.</summary>
    public static object Batch(string userId, params object[] events) =>
        new { user_id = userId, user_hash = IdentityVerification.UserHash(AcmeSecret, userId), events };

    public static object Event(string name, long? createdAt = null, object? metadata = null) =>
        new Dictionary<string, object?> { ["event_name"] = name, ["created_at"] = createdAt, ["metadata"] = metadata }
            .Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
}

/// <summary>Browser limits of 5 events per visitor and 8 per workspace, in a window that no test straddles (10^9 s).</summary>
public sealed class BrowserRateLimitedService(PostgresServer postgres) : BrowserWorkspacesService(postgres)
{
    public const int PerVisitor = 5;
    public const int PerWorkspace = 8;

    protected override IReadOnlyDictionary<string, string> More => new Dictionary<string, string>
    {
        ["Browser:EventsPerVisitor"] = PerVisitor.ToString(CultureInfo.InvariantCulture),
        ["Browser:EventsPerWorkspace"] = PerWorkspace.ToString(CultureInfo.InvariantCulture),
        ["Browser:WindowSeconds"] = "1000000000",
    };
}
