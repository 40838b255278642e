namespace EventStore.Api.Workspaces;

/// <summary>
/// What a token may do. A workspace token carries some of <see cref="WorkspaceScopes"/>; the operator tokens
/// (<c>Admin:AccessTokens:M</c>) carry <see cref="Admin"/> and no workspace.
/// </summary>
public static class Scopes
{
    /// <summary>POST /events, /events/bulk, /events/summaries; PUT and POST /event-names/...</summary>
    public const string EventsWrite = "events:write";

    /// <summary>GET /events, /segments..., /event-names; POST /segments/search.</summary>
    public const string EventsRead = "events:read";

    /// <summary>Erasing and exporting a user's data (GDPR): never granted implicitly, only to tokens created with it.</summary>
    public const string UsersErase = "users:erase";

    /// <summary>Operator endpoints (/admin/...): only the configured operator tokens have it.</summary>
    public const string Admin = "admin";

    /// <summary>The scopes a workspace token may be created with.</summary>
    public static readonly IReadOnlyList<string> WorkspaceScopes = [EventsWrite, EventsRead, UsersErase];

    /// <summary>What a token configured in <c>Workspaces:N:AccessTokens:M</c> may do: everything but erasure and export.</summary>
    public static readonly IReadOnlyList<string> ConfiguredWorkspaceToken = [EventsWrite, EventsRead];
}
