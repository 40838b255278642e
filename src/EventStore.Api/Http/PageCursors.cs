using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EventStore.Api.Persistence;
using Npgsql;

namespace EventStore.Api.Http;

/// <summary>
/// Opaque, tamper-evident paging cursors. A cursor carries a keyset position (a few numbers or a string), is
/// bound to what it pages (workspace + list, e.g. one user's timeline) and encrypted with AES-256-GCM, the list
/// being the associated data: a changed, truncated or borrowed cursor is a 400 instead of a wrong page, and its
/// position (transaction ids, sequence numbers shared by every workspace) cannot be read. The nonce is derived from
/// the list and the position (as in SIV), so the same page always gets the same link, and a nonce never serves two
/// different positions. The keys are derived from a secret kept in the database (created on first use), so every
/// node and every restart accepts the same cursors. Cursors of the previous release (readable, HMAC-signed with that
/// secret) are still accepted during the transition; see docs/security.md.
/// </summary>
public sealed class PageCursors(NpgsqlDataSource dataSource)
{
    /// <summary>The first byte of an encrypted cursor: the format and key version.</summary>
    private const byte Version = 1;
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private const int LegacyMacLength = 16;
    private Task<Keys>? keys;

    public async Task<string> EncodeAsync(string scope, string position)
    {
        var keys = await KeysAsync();
        var plaintext = Encoding.UTF8.GetBytes(position);
        var associated = Encoding.UTF8.GetBytes(scope);
        var token = new byte[1 + NonceLength + plaintext.Length + TagLength];
        token[0] = Version;
        var nonce = token.AsSpan(1, NonceLength);
        HMACSHA256.HashData(keys.Nonce, Framed(associated, plaintext)).AsSpan(0, NonceLength).CopyTo(nonce);
        using var aes = new AesGcm(keys.Encryption, TagLength);
        aes.Encrypt(nonce, plaintext, token.AsSpan(1 + NonceLength, plaintext.Length), token.AsSpan(token.Length - TagLength), associated);
        return Base64UrlEncode(token);
    }

    /// <summary>The position a cursor holds, or null when it was not issued for this scope by this service.</summary>
    public async Task<string?> DecodeAsync(string scope, string cursor)
    {
        var token = Base64UrlDecode(cursor);
        if (token is null)
        {
            return null;
        }

        var current = await KeysAsync();
        return Decrypt(current.Encryption, scope, token) ?? VerifyLegacy(current.Signing, scope, token);
    }

    private static string? Decrypt(byte[] key, string scope, byte[] token)
    {
        if (token.Length < 1 + NonceLength + TagLength || token[0] != Version)
        {
            return null;
        }

        var plaintext = new byte[token.Length - 1 - NonceLength - TagLength];
        using var aes = new AesGcm(key, TagLength);
        try
        {
            aes.Decrypt(token.AsSpan(1, NonceLength), token.AsSpan(1 + NonceLength, plaintext.Length), token.AsSpan(token.Length - TagLength), plaintext, Encoding.UTF8.GetBytes(scope));
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }

        return Encoding.UTF8.GetString(plaintext);
    }

    /// <summary>A cursor of the previous format (readable position + HMAC-SHA256), accepted during the transition.</summary>
    private static string? VerifyLegacy(byte[] key, string scope, byte[] token)
    {
        if (token.Length < LegacyMacLength)
        {
            return null;
        }

        var payload = token.AsSpan(0, token.Length - LegacyMacLength).ToArray();
        var expected = HMACSHA256.HashData(key, Framed(Encoding.UTF8.GetBytes(scope), payload))[..LegacyMacLength];
        return CryptographicOperations.FixedTimeEquals(expected, token.AsSpan(token.Length - LegacyMacLength))
            ? Encoding.UTF8.GetString(payload)
            : null;
    }

    /// <summary>The scope's length, the scope, then the payload: what is MACed.</summary>
    private static byte[] Framed(byte[] scope, byte[] payload)
    {
        var input = new byte[4 + scope.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(input, scope.Length);
        scope.CopyTo(input, 4);
        payload.CopyTo(input, 4 + scope.Length);
        return input;
    }

    /// <summary>The keys, loaded once; a failed load (database down) is retried by the next request.</summary>
    private Task<Keys> KeysAsync()
    {
        var current = keys;
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            current = LoadKeysAsync(dataSource);
            keys = current;
        }

        return current;
    }

    private static async Task<Keys> LoadKeysAsync(NpgsqlDataSource dataSource)
    {
        // Two statements, so the select takes a fresh snapshot: when another node created the secret at the same
        // moment, the insert waits for it and the select then reads the secret that node committed.
        var table = ServiceSecrets.Table.QualifiedName;
        await using var batch = dataSource.CreateBatch();
        var insert = new NpgsqlBatchCommand($"insert into {table} (name, secret) values ('cursor-signing', $1) on conflict (name) do nothing");
        insert.Parameters.AddWithValue(RandomNumberGenerator.GetBytes(32));
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select secret from {table} where name = 'cursor-signing'"));
        var secret = await batch.ExecuteScalarAsync() as byte[]
            ?? throw new InvalidOperationException("The cursor secret could not be read back.");
        // One secret: the legacy signatures used it as is; encryption and nonces use keys derived for each purpose.
        return new Keys(secret,
            HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "eventstore cursor encryption v1"u8.ToArray()),
            HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "eventstore cursor nonce v1"u8.ToArray()));
    }

    private sealed record Keys(byte[] Signing, byte[] Encryption, byte[] Nonce);

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? Base64UrlDecode(string text)
    {
        if (text.Length > 1024)
        {
            return null;
        }

        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 += (base64.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, buffer, out var written) ? buffer[..written] : null;
    }
}
