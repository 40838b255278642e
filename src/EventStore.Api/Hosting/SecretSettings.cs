using System.Data.Common;
using System.Text.RegularExpressions;

namespace EventStore.Api.Hosting;

/// <summary>
/// Which settings are secrets, decided by the names in their keys so that keys added later are covered too
/// (<c>Admin:AccessTokens:0</c>, <c>Workspaces:0:Browser:IdentitySecret</c>, a connection string's <c>Password</c>):
/// everything the service prints about its configuration goes through <see cref="Printable"/>.
/// </summary>
public static partial class SecretSettings
{
    public const string Mask = "***";

    /// <summary>True when any part of the key names a secret: a token, secret, password, credential, key or headers.</summary>
    public static bool IsSecret(string key) => key.Split(':').Any(part => SecretName().IsMatch(part));

    /// <summary>The value as it may be printed: masked for a secret; a connection string keeps all but its secrets.</summary>
    public static string Printable(string key, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value ?? "";
        }

        if (IsSecret(key))
        {
            return Mask;
        }

        return key.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase) ? ConnectionString(value) : value;
    }

    private static string ConnectionString(string value)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = value };
            foreach (var keyword in builder.Keys.Cast<string>().Where(k => SecretName().IsMatch(k.Replace(" ", "", StringComparison.Ordinal))).ToList())
            {
                builder[keyword] = Mask;
            }

            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            // Not readable as a connection string: nothing in it can be told apart from a secret.
            return Mask;
        }
    }

    [GeneratedRegex("token|secret|passw|pwd|credential|headers|key$|keys$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
