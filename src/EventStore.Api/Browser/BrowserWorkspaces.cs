using System.Text;
using EventStore.Api.Workspaces;

namespace EventStore.Api.Browser;

/// <summary>
/// Browser tracking of one workspace, <c>Workspaces:N:Browser:*</c>: the pages allowed to track
/// (<c>AllowedOrigins:M</c>), the identity-verification secret that signs their users (<c>IdentitySecret</c>), and
/// whether users without a valid <c>user_hash</c> are taken anyway (<c>AllowUnverified</c>, off by default).
/// </summary>
public sealed class BrowserTrackingOptions
{
    /// <summary>Shortest identity secret accepted: anything shorter could be guessed from a few user hashes.</summary>
    public const int MinSecretLength = 16;

    public List<string> AllowedOrigins { get; set; } = [];

    public string? IdentitySecret { get; set; }

    public bool AllowUnverified { get; set; }

    /// <summary>Never shows the secret, only whether there is one.</summary>
    public override string ToString() =>
        $"AllowedOrigins = [{string.Join(", ", AllowedOrigins)}], IdentitySecret = {(string.IsNullOrEmpty(IdentitySecret) ? "(none)" : "(redacted)")}, AllowUnverified = {AllowUnverified}";
}

/// <summary>One workspace's browser rules, checked: normalised origins and the secret as an HMAC key.</summary>
public sealed class BrowserWorkspace(string id, IReadOnlySet<string> origins, byte[]? identityKey, bool allowUnverified)
{
    public string Id => id;

    public bool AllowUnverified => allowUnverified;

    public bool VerifiesIdentity => identityKey is not null;

    /// <summary>Whether a page of <paramref name="origin"/> (the request's <c>Origin</c> header) may track here.</summary>
    public bool Allows(string? origin) => BrowserOrigins.Normalize(origin) is { } normalized && origins.Contains(normalized);

    /// <summary>Whether <paramref name="userHash"/> is the HMAC of <paramref name="identifier"/> with this workspace's secret.</summary>
    public bool Verifies(string identifier, string? userHash) =>
        identityKey is not null && IdentityVerification.Verifies(identityKey, identifier, userHash);

    public override string ToString() => $"{id}: {origins.Count} origin(s), {(VerifiesIdentity ? "identity verified" : "no identity secret")}, unverified {(allowUnverified ? "allowed" : "refused")}";
}

/// <summary>
/// The workspaces that accept events from browsers, read from <c>Workspaces:N:Id</c> and <c>Workspaces:N:Browser</c>
/// and checked at start-up: an origin that is not a bare http(s) origin, or a secret that is too short, stops the
/// service with a message naming the workspace (never the secret). A workspace without allowed origins takes no
/// browser events; one without a secret takes them only when <c>AllowUnverified</c> is true.
/// </summary>
public sealed class BrowserWorkspaces
{
    private readonly Dictionary<string, BrowserWorkspace> byId = new(StringComparer.Ordinal);

    public BrowserWorkspaces(IConfiguration configuration)
    {
        foreach (var workspace in configuration.GetSection("Workspaces").GetChildren())
        {
            var id = workspace["Id"];
            var section = workspace.GetSection("Browser");
            if (id is null || !WorkspaceIds.IsValid(id) || !section.Exists())
            {
                continue;
            }

            var options = section.Get<BrowserTrackingOptions>() ?? new BrowserTrackingOptions();
            var origins = new HashSet<string>(StringComparer.Ordinal);
            foreach (var origin in options.AllowedOrigins)
            {
                origins.Add(BrowserOrigins.Normalize(origin) ?? throw new InvalidOperationException(
                    $"Workspaces:{workspace.Key}:Browser:AllowedOrigins of workspace '{id}' lists '{origin}', which is not an origin: " +
                    "write scheme, host and port only, e.g. https://app.example.com (no path, no wildcard)."));
            }

            var secret = options.IdentitySecret;
            if (secret is not null && secret.Trim().Length < BrowserTrackingOptions.MinSecretLength)
            {
                throw new InvalidOperationException(
                    $"Workspaces:{workspace.Key}:Browser:IdentitySecret of workspace '{id}' is shorter than {BrowserTrackingOptions.MinSecretLength} characters.");
            }

            byId[id] = new BrowserWorkspace(id, origins, secret is null ? null : Encoding.UTF8.GetBytes(secret), options.AllowUnverified);
        }
    }

    /// <summary>The workspace named by a page's <c>app_id</c>, when it takes browser events at all.</summary>
    public BrowserWorkspace? Find(string appId) => byId.GetValueOrDefault(appId);
}
