using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Protection;

/// <summary>
/// Rate limits of 5 requests per window, and workspaces of their own for each test (counters are per workspace).
/// The window is 10^9 seconds long (the current one ends in 2033), so no test ever straddles two windows.
/// </summary>
public sealed class FiveRequestsPerWindow(PostgresServer postgres) : ApiFixture(postgres)
{
    public const int Limit = 5;
    public const long WindowSeconds = 1_000_000_000;
    public static readonly string[] Workspaces = ["rl-1", "rl-2", "rl-3", "rl-4", "rl-5", "rl-6", "rl-7", "rl-8"];

    public static string TokenOf(string workspace) => $"{workspace}-token-0123456789-0123456789-abc";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["RateLimits:RequestsPerWindow"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimits:WindowSeconds"] = WindowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }.Concat(Workspaces.SelectMany((workspace, i) => new[]
    {
        KeyValuePair.Create($"Workspaces:{i + 2}:Id", workspace),
        KeyValuePair.Create($"Workspaces:{i + 2}:AccessTokens:0", TokenOf(workspace)),
    })).ToDictionary();
}

/// <summary>
/// Rate limits off (<c>RateLimits:RequestsPerWindow = 0</c>, <c>Browser:*</c>) and a workspace, fuzz, that only the fuzzer
/// writes to, also from the pages of <see cref="PageOrigin"/>, for users verified or not.
/// </summary>
public sealed class FuzzedService(PostgresServer postgres) : ApiFixture(postgres)
{
    public const string Workspace = "fuzz";
    public const string Token = "fuzz-token-0123456789-0123456789-abc";
    public const string PageOrigin = "https://app.fuzz.test";
    public const string IdentitySecret = "fuzz-identity-secret-0123456789";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["RateLimits:RequestsPerWindow"] = "0",
        ["Workspaces:2:Id"] = Workspace,
        ["Workspaces:2:AccessTokens:0"] = Token,
        ["Workspaces:2:Browser:AllowedOrigins:0"] = PageOrigin,
        ["Workspaces:2:Browser:IdentitySecret"] = IdentitySecret,
        ["Workspaces:2:Browser:AllowUnverified"] = "true",
        ["Browser:EventsPerVisitor"] = "0",
        ["Browser:EventsPerWorkspace"] = "0",
    };
}
