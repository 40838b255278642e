using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace EventStore.Api.Admin;

/// <summary>An access token as the admin API shows it; <c>token</c> (the secret) only in the answer to its creation.</summary>
public sealed record AccessTokenResource(string Id, string Workspace, IReadOnlyList<string> Scopes, string Name, long CreatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "access_token";

    public static AccessTokenResource Of(IssuedToken token) =>
        new(token.Id, token.Workspace, token.Scopes, token.Name, token.CreatedAt.ToUnixTimeSeconds());
}

/// <summary>The answer to a creation: the one time the secret is shown.</summary>
public sealed record CreatedAccessTokenResource(string Id, string Workspace, IReadOnlyList<string> Scopes, string Name, string Token, long CreatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "access_token";
}

/// <summary>What <c>POST /admin/tokens</c> and <c>tokens create</c> accept, checked the same way.</summary>
public static class AccessTokenRequest
{
    /// <summary>The rejections of a creation request: a malformed workspace id, no or unknown scopes, a bad name.</summary>
    public static IReadOnlyList<Rejection> Check(string? workspace, IReadOnlyList<string>? scopes, string? name)
    {
        var rejections = new List<Rejection>();
        if (string.IsNullOrEmpty(workspace))
        {
            rejections.Add(Rejection.Missing("workspace", "workspace is required"));
        }
        else if (!WorkspaceIds.IsValid(workspace))
        {
            rejections.Add(Rejection.Invalid("workspace", "workspace must be 1 to 64 characters of a-z, 0-9, '-' and '_'"));
        }

        var allowed = string.Join(", ", Scopes.WorkspaceScopes);
        if (scopes is null || scopes.Count == 0)
        {
            rejections.Add(Rejection.Missing("scopes", $"scopes is required: a non-empty array of {allowed}"));
        }
        else if (scopes.FirstOrDefault(s => !Scopes.WorkspaceScopes.Contains(s)) is { } unknown)
        {
            rejections.Add(Rejection.Invalid("scopes", $"'{Truncate(unknown)}' is not a workspace scope; use {allowed}"));
        }

        if (name is { Length: > IssuedTokens.MaxNameLength } || (name is not null && name.Any(char.IsControl)))
        {
            rejections.Add(Rejection.Invalid("name", $"name must be at most {IssuedTokens.MaxNameLength} characters, without control characters"));
        }

        return rejections;
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

/// <summary>
/// POST /admin/tokens (operators only): creates a workspace token with the given scopes and shows its secret
/// once. A workspace not in configuration is 404.
/// </summary>
public static class CreateAccessTokenEndpoint
{
    public const long MaxBodyBytes = 16 * 1024;

    private static readonly HashSet<string> Fields = ["workspace", "scopes", "name"];

    [WolverinePost("/admin/tokens")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Post(HttpContext context, IssuedTokens tokens, AccessTokens configured)
    {
        var cancellation = context.RequestAborted;
        using var body = await RequestBody.ReadJsonAsync(context, MaxBodyBytes, cancellation);
        if (body.Error is not null)
        {
            return body.Error;
        }

        var root = body.Root;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ErrorList.Result(context, [Rejection.WrongType("body", "The request body must be a JSON object")]);
        }

        var rejections = new List<Rejection>();
        rejections.AddRange(root.EnumerateObject().Where(p => !Fields.Contains(p.Name))
            .Select(p => Rejection.Invalid(p.Name, $"Unknown field; send only {string.Join(", ", Fields)}")));
        var workspace = ReadString(root, "workspace", rejections);
        var name = ReadString(root, "name", rejections);
        var scopes = ReadScopes(root, rejections);
        if (rejections.Count == 0)
        {
            rejections.AddRange(AccessTokenRequest.Check(workspace, scopes, name));
        }

        if (rejections.Count > 0)
        {
            return ErrorList.Result(context, rejections);
        }

        if (!configured.IsWorkspace(workspace!))
        {
            return WorkspaceNotFound(context);
        }

        var (token, secret) = await tokens.CreateAsync(workspace!, scopes!, name ?? "", cancellation);
        var created = new CreatedAccessTokenResource(token.Id, token.Workspace, token.Scopes, token.Name, secret, token.CreatedAt.ToUnixTimeSeconds());
        // The secret must not be kept by any cache between here and the client.
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(created, ApiJson.Options, "application/json; charset=utf-8", StatusCodes.Status201Created);
    }

    internal static IResult WorkspaceNotFound(HttpContext context) =>
        ErrorList.Result(context, StatusCodes.Status404NotFound, new Errors.ApiError("not_found", "Workspace Not Found", "workspace"));

    private static string? ReadString(JsonElement root, string field, List<Rejection> rejections)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            rejections.Add(Rejection.WrongType(field, $"{field} must be a string"));
            return null;
        }

        return value.GetString();
    }

    private static List<string>? ReadScopes(JsonElement root, List<Rejection> rejections)
    {
        if (!root.TryGetProperty("scopes", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
        {
            rejections.Add(Rejection.WrongType("scopes", "scopes must be an array of strings"));
            return null;
        }

        return [.. value.EnumerateArray().Select(s => s.GetString()!).Distinct(StringComparer.Ordinal)];
    }
}

/// <summary>GET /admin/tokens[?workspace=acme] (operators only): the tokens not revoked, never their secrets.</summary>
public static class ListAccessTokensEndpoint
{
    [WolverineGet("/admin/tokens")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Get(HttpContext context, IssuedTokens tokens, AccessTokens configured)
    {
        var query = new QueryParameters(context.Request.Query);
        var workspace = query.String("workspace");
        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        if (workspace is not null && !configured.IsWorkspace(workspace))
        {
            return CreateAccessTokenEndpoint.WorkspaceNotFound(context);
        }

        var list = await tokens.ListAsync(workspace, context.RequestAborted);
        return ApiJson.Ok(new { type = "access_token.list", access_tokens = list.Select(AccessTokenResource.Of) });
    }
}

/// <summary>
/// DELETE /admin/tokens/{id} (operators only): revokes the token; the next request with it is 401, on every
/// node. 204, also for a token already revoked; 404 for an id no token has.
/// </summary>
public static class RevokeAccessTokenEndpoint
{
    [WolverineDelete("/admin/tokens/{id}")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Delete(string id, HttpContext context, IssuedTokens tokens) =>
        IssuedTokens.IsTokenId(id) && await tokens.RevokeAsync(id, context.RequestAborted)
            ? Results.NoContent()
            : ErrorList.Result(context, StatusCodes.Status404NotFound, new Errors.ApiError("not_found", "Access Token Not Found"));
}
