using System.Security.Cryptography;
using System.Text;

namespace EventStore.Api.Browser;

/// <summary>
/// Intercom's identity verification: a page proves who its user is with <c>user_hash</c>, the lower-case hex
/// HMAC-SHA256 of the user's <c>user_id</c> (of the email when there is no user_id), keyed with the workspace's
/// secret, which only the customer's server knows. The same secret and the same hashes as at Intercom work here.
/// </summary>
public static class IdentityVerification
{
    /// <summary>What the customer's server computes for a page (the README shows it in other languages).</summary>
    public static string UserHash(string secret, string identifier) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(identifier)));

    /// <summary>Whether <paramref name="userHash"/> (hex, either case) is the HMAC of <paramref name="identifier"/>, compared in constant time.</summary>
    public static bool Verifies(byte[] key, string identifier, string? userHash)
    {
        if (userHash is not { Length: HMACSHA256.HashSizeInBytes * 2 } || !userHash.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(identifier));
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(userHash));
    }
}
