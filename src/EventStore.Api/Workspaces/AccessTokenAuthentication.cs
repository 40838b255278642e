using System.Security.Claims;
using System.Text.Encodings.Web;
using EventStore.Api.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EventStore.Api.Workspaces;

/// <summary>
/// Names of the authorization policies endpoints ask for (<c>[Authorize(Policy = Policies.ReadEvents)]</c>). A
/// workspace policy needs a workspace token carrying its scope (<see cref="Scopes"/>); a token without it, or an
/// operator token, is 403 <c>forbidden</c>. See docs/security.md.
/// </summary>
public static class Policies
{
    /// <summary>Any workspace token, whatever its scopes. Prefer a scoped policy.</summary>
    public const string Workspace = "workspace";

    /// <summary>A workspace token with <see cref="Scopes.EventsWrite"/>: tracking, summary import, event-name changes.</summary>
    public const string WriteEvents = "events:write";

    /// <summary>A workspace token with <see cref="Scopes.EventsRead"/>: timelines, summaries, segments, the registry.</summary>
    public const string ReadEvents = "events:read";

    /// <summary>A workspace token with <see cref="Scopes.UsersErase"/>: erasing and exporting a user's data.</summary>
    public const string EraseUsers = "users:erase";

    /// <summary>An operator token (<c>Admin:AccessTokens:M</c>): /admin/...</summary>
    public const string Admin = "admin";

    public const string Scheme = "Bearer";
    public const string WorkspaceClaim = "workspace";
    public const string ScopeClaim = "scope";
    public const string TokenIdClaim = "token_id";

    public static IServiceCollection AddAccessTokenAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, AccessTokenAuthentication>(Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Workspace, policy => policy.RequireClaim(WorkspaceClaim))
            .AddPolicy(WriteEvents, policy => policy.RequireClaim(WorkspaceClaim).RequireClaim(ScopeClaim, Scopes.EventsWrite))
            .AddPolicy(ReadEvents, policy => policy.RequireClaim(WorkspaceClaim).RequireClaim(ScopeClaim, Scopes.EventsRead))
            .AddPolicy(EraseUsers, policy => policy.RequireClaim(WorkspaceClaim).RequireClaim(ScopeClaim, Scopes.UsersErase))
            .AddPolicy(Admin, policy => policy.RequireRole(Admin).RequireClaim(ScopeClaim, Scopes.Admin));
        return services;
    }

    /// <summary>The workspace of the authenticated token, which is also the Marten tenant id.</summary>
    public static string WorkspaceOf(this ClaimsPrincipal user) =>
        user.FindFirstValue(WorkspaceClaim) ?? throw new InvalidOperationException("The request is not authenticated for a workspace.");
}

/// <summary>
/// Intercom's authentication: <c>Authorization: Bearer &lt;token&gt;</c>. Failures answer with the
/// <c>error.list</c> body (401 <c>unauthorized</c>, 403 <c>forbidden</c>); the token is never logged.
/// </summary>
public sealed class AccessTokenAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessTokens tokens,
    IssuedTokens issued)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Authorization is not a bearer token");
        }

        // Configured tokens first (in memory), then issued ones (one indexed lookup, only for an es_… shaped token).
        var presented = header[prefix.Length..].Trim();
        var owner = tokens.Find(presented) ?? await issued.FindAsync(presented, Context.RequestAborted);
        if (owner is null)
        {
            return AuthenticateResult.Fail("Unknown access token");
        }

        var claims = new List<Claim>();
        if (owner.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, Policies.Admin));
        }
        else
        {
            claims.Add(new Claim(Policies.WorkspaceClaim, owner.Workspace!));
        }

        claims.AddRange(owner.Scopes.Select(scope => new Claim(Policies.ScopeClaim, scope)));
        if (owner.TokenId is not null)
        {
            claims.Add(new Claim(Policies.TokenIdClaim, owner.TokenId));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Policies.Scheme));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Policies.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ErrorList.WriteAsync(Context, StatusCodes.Status401Unauthorized, new ApiError("unauthorized", "Access Token Invalid"));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorList.WriteAsync(Context, StatusCodes.Status403Forbidden, new ApiError("forbidden", "This access token is not allowed to do this"));
}
