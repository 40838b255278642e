namespace EventStore.Api.Workspaces;

/// <summary>
/// In Production, configured tokens (<c>Workspaces:N:AccessTokens:M</c>, <c>Admin:AccessTokens:M</c>) must be at
/// least <see cref="MinimumLength"/> characters and none of the placeholders documentation has shown: a guessable
/// token on a published port is an open door. Issued tokens are generated (256 bits) and need no check.
/// </summary>
public static class TokenStrength
{
    public const int MinimumLength = 32;

    /// <summary>Placeholders this project's examples and compose file have shown, whatever their length.</summary>
    public static readonly IReadOnlySet<string> Placeholders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "change-me-please", "change-me-too", "change-me", "some-long-secret", "changeme", "secret", "token",
    };

    /// <summary>The first weak token, named by where it is configured (never by its value), or null.</summary>
    public static string? FindWeak(IEnumerable<WorkspaceOptions> workspaces, AdminOptions admin)
    {
        var configured = workspaces.SelectMany((w, n) => w.AccessTokens.Select((token, m) => (token, where: $"Workspaces:{n}:AccessTokens:{m} (workspace '{w.Id}')")))
            .Concat(admin.AccessTokens.Select((token, m) => (token, where: $"Admin:AccessTokens:{m}")));
        foreach (var (token, where) in configured)
        {
            if (Placeholders.Contains(token.Trim()))
            {
                return $"Refusing to start in Production: the token {where} is a documented placeholder; set a random secret, e.g. `openssl rand -base64 32`.";
            }

            if (token.Length < MinimumLength)
            {
                return $"Refusing to start in Production: the token {where} has {token.Length} characters, fewer than {MinimumLength}; set a random secret, e.g. `openssl rand -base64 32`.";
            }
        }

        return null;
    }
}
