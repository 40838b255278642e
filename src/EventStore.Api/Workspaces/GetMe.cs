using System.Security.Claims;
using EventStore.Api.Http;
using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace EventStore.Api.Workspaces;

/// <summary>Who the presented token speaks for: the answer of <c>GET /me</c>.</summary>
public sealed record TokenIdentity(string? Workspace, bool Operator, IReadOnlyList<string> Scopes, string? TokenId)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "access_token";
}

/// <summary>
/// GET /me (any valid token): the token's workspace (null for an operator token), whether it is an operator's, its
/// scopes, and its id when it was issued at run time. What a client such as the console asks first, to know what
/// the token may do; never the secret.
/// </summary>
public static class GetMeEndpoint
{
    [WolverineGet("/me")]
    [Authorize]
    public static IResult Get(HttpContext context)
    {
        var user = context.User;
        return ApiJson.Ok(new TokenIdentity(
            user.FindFirstValue(Policies.WorkspaceClaim),
            user.IsInRole(Policies.Admin),
            [.. user.FindAll(Policies.ScopeClaim).Select(c => c.Value)],
            user.FindFirstValue(Policies.TokenIdClaim)));
    }
}
