using System.Text.RegularExpressions;
using Microsoft.Extensions.Primitives;

namespace EventStore.Api.Hosting;

/// <summary>
/// The <c>describe</c> command prints every configuration value of every source. Before it runs (the service's own
/// components are built by then, with the real values), the secrets in configuration are masked: access tokens, the
/// browser identity secrets, and a password inside a connection string.
/// </summary>
public static partial class DescribedConfiguration
{
    public const string Mask = "(redacted)";

    public static bool IsDescribe(string[] args) => args.Length > 0 && args[0].Equals("describe", StringComparison.OrdinalIgnoreCase);

    public static void HideSecrets(IConfigurationManager configuration)
    {
        for (var i = 0; i < configuration.Sources.Count; i++)
        {
            if (configuration.Sources[i] is not MaskedSource)
            {
                configuration.Sources[i] = new MaskedSource(configuration.Sources[i]);
            }
        }
    }

    /// <summary>The value <c>describe</c> shows for <paramref name="key"/>.</summary>
    public static string? Shown(string key, string? value) =>
        value is null ? null
        : SecretKey().IsMatch(key) ? Mask
        : key.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase) ? Password().Replace(value, $"$1={Mask}")
        : value;

    [GeneratedRegex(@"^(Workspaces:[^:]+:(AccessTokens:[^:]+|Browser:IdentitySecret)|Admin:AccessTokens:[^:]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretKey();

    [GeneratedRegex(@"(?<=^|;)\s*(password|pwd)\s*=[^;]*", RegexOptions.IgnoreCase)]
    private static partial Regex Password();

    private sealed class MaskedSource(IConfigurationSource source) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new MaskedProvider(source.Build(builder));
    }

    private sealed class MaskedProvider(IConfigurationProvider provider) : IConfigurationProvider
    {
        public bool TryGet(string key, out string? value)
        {
            var found = provider.TryGet(key, out value);
            value = Shown(key, value);
            return found;
        }

        public void Set(string key, string? value) => provider.Set(key, value);

        public IChangeToken GetReloadToken() => provider.GetReloadToken();

        public void Load() => provider.Load();

        public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath) => provider.GetChildKeys(earlierKeys, parentPath);

        public override string ToString() => provider.ToString() ?? base.ToString()!;
    }
}
