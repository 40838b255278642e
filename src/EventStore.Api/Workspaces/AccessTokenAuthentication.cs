using System.Security.Claims;
using System.Text.Encodings.Web;
using EventStore.Api.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EventStore.Api.Workspaces;

/// <summary>Names of the authorization policies endpoints ask for.</summary>
public static class Policies
{
    public const string Workspace = "workspace";
    public const string Admin = "admin";
    public const string Scheme = "Bearer";
    public const string WorkspaceClaim = "workspace";

    public static IServiceCollection AddAccessTokenAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, AccessTokenAuthentication>(Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Workspace, policy => policy.RequireClaim(WorkspaceClaim))
            .AddPolicy(Admin, policy => policy.RequireRole(Admin));
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
    AccessTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("Authorization is not a bearer token"));
        }

        var owner = tokens.Find(header[prefix.Length..].Trim());
        if (owner is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown access token"));
        }

        var claims = owner.IsAdmin
            ? new[] { new Claim(ClaimTypes.Role, Policies.Admin) }
            : [new Claim(Policies.WorkspaceClaim, owner.Workspace!)];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Policies.Scheme));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Policies.Scheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ErrorList.WriteAsync(Context, StatusCodes.Status401Unauthorized, new ApiError("unauthorized", "Access Token Invalid"));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorList.WriteAsync(Context, StatusCodes.Status403Forbidden, new ApiError("forbidden", "This access token is not allowed to do this"));
}
