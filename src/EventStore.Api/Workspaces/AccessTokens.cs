using System.Security.Cryptography;
using System.Text;

namespace EventStore.Api.Workspaces;

/// <summary>A workspace ("app" in Intercom's words) provisioned from configuration: <c>Workspaces:N:Id</c>, <c>Workspaces:N:AccessTokens:M</c>.</summary>
public sealed class WorkspaceOptions
{
    public string Id { get; set; } = "";

    public List<string> AccessTokens { get; set; } = [];
}

/// <summary>Operator tokens: <c>Admin:AccessTokens:M</c>.</summary>
public sealed class AdminOptions
{
    public List<string> AccessTokens { get; set; } = [];
}

/// <summary>
/// Who a valid token speaks for: one workspace, or the operators; what it may do (<see cref="Scopes"/>); and,
/// for a token issued at run time, its id (configured tokens have none).
/// </summary>
public sealed record TokenOwner(string? Workspace, bool IsAdmin, IReadOnlyList<string> Scopes, string? TokenId = null);

/// <summary>
/// The bearer tokens this service accepts. Only SHA-256 digests are kept in memory; a presented token
/// is hashed and its digest compared in constant time, so neither the lookup nor the comparison
/// reveals anything about a stored token through timing.
/// </summary>
public sealed class AccessTokens
{
    private readonly Dictionary<string, (byte[] Digest, TokenOwner Owner)> byDigest = new(StringComparer.Ordinal);
    private readonly HashSet<string> workspaceIds = new(StringComparer.Ordinal);

    public AccessTokens(IEnumerable<WorkspaceOptions> workspaces, AdminOptions admin)
    {
        foreach (var workspace in workspaces)
        {
            if (!WorkspaceIds.IsValid(workspace.Id))
            {
                throw new InvalidOperationException(
                    $"Workspace id '{workspace.Id}' is invalid: use 1 to 64 characters of a-z, 0-9, '-' and '_'.");
            }

            workspaceIds.Add(workspace.Id);
            foreach (var token in workspace.AccessTokens)
            {
                Add(token, new TokenOwner(workspace.Id, IsAdmin: false, Scopes.ConfiguredWorkspaceToken), $"workspace '{workspace.Id}'");
            }
        }

        foreach (var token in admin.AccessTokens)
        {
            Add(token, new TokenOwner(null, IsAdmin: true, [Scopes.Admin]), "Admin");
        }
    }

    /// <summary>The tokens of <c>Workspaces:N:*</c> and <c>Admin:AccessTokens:M</c>.</summary>
    public static AccessTokens FromConfiguration(IConfiguration configuration) => new(
        configuration.GetSection("Workspaces").Get<List<WorkspaceOptions>>() ?? [],
        configuration.GetSection("Admin").Get<AdminOptions>() ?? new AdminOptions());

    /// <summary>The workspaces in configuration: the only ones tokens can be issued for, and used with.</summary>
    public IReadOnlyCollection<string> Workspaces => workspaceIds;

    public bool IsWorkspace(string id) => workspaceIds.Contains(id);

    public TokenOwner? Find(string presented)
    {
        var digest = Digest(presented);
        return byDigest.TryGetValue(Convert.ToHexString(digest), out var entry)
               && CryptographicOperations.FixedTimeEquals(entry.Digest, digest)
            ? entry.Owner
            : null;
    }

    private void Add(string token, TokenOwner owner, string where)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new InvalidOperationException($"An access token of {where} is empty.");
        }

        var digest = Digest(token);
        if (!byDigest.TryAdd(Convert.ToHexString(digest), (digest, owner)))
        {
            // Never name the token itself: tokens are secrets and must not reach logs.
            throw new InvalidOperationException($"An access token of {where} is configured more than once.");
        }
    }

    internal static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

public static class WorkspaceIds
{
    public static bool IsValid(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
