using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EventStore.Api.Persistence;
using Npgsql;

namespace EventStore.Api.Http;

/// <summary>
/// Opaque, tamper-evident paging cursors. A cursor carries a few numbers or a string (a keyset position),
/// is bound to what it pages (workspace + list, e.g. one user's timeline) and signed with HMAC-SHA256, so a
/// changed, truncated or borrowed cursor is a 400 instead of a wrong page. The signing key lives in the
/// database (created on first use), so every API node and every restart accepts the same cursors.
/// </summary>
public sealed class PageCursors(NpgsqlDataSource dataSource)
{
    private const int MacLength = 16;
    private Task<byte[]>? key;

    public async Task<string> EncodeAsync(string scope, string position)
    {
        var payload = Encoding.UTF8.GetBytes(position);
        var mac = Mac(await KeyAsync(), scope, payload);
        var token = new byte[payload.Length + MacLength];
        payload.CopyTo(token, 0);
        mac.CopyTo(token, payload.Length);
        return Base64UrlEncode(token);
    }

    /// <summary>The position a cursor holds, or null when it was not issued for this scope by this service.</summary>
    public async Task<string?> DecodeAsync(string scope, string cursor)
    {
        var token = Base64UrlDecode(cursor);
        if (token is null || token.Length < MacLength)
        {
            return null;
        }

        var payload = token.AsSpan(0, token.Length - MacLength).ToArray();
        var expected = Mac(await KeyAsync(), scope, payload);
        return CryptographicOperations.FixedTimeEquals(expected, token.AsSpan(token.Length - MacLength))
            ? Encoding.UTF8.GetString(payload)
            : null;
    }

    private static byte[] Mac(byte[] key, string scope, byte[] payload)
    {
        var scopeBytes = Encoding.UTF8.GetBytes(scope);
        var input = new byte[4 + scopeBytes.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(input, scopeBytes.Length);
        scopeBytes.CopyTo(input, 4);
        payload.CopyTo(input, 4 + scopeBytes.Length);
        return HMACSHA256.HashData(key, input)[..MacLength];
    }

    /// <summary>The signing key, loaded once; a failed load (database down) is retried by the next request.</summary>
    private Task<byte[]> KeyAsync()
    {
        var current = key;
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            current = LoadKeyAsync(dataSource);
            key = current;
        }

        return current;
    }

    private static async Task<byte[]> LoadKeyAsync(NpgsqlDataSource dataSource)
    {
        // Two statements, so the select takes a fresh snapshot: when another node created the key at the same
        // moment, the insert waits for it and the select then reads the key that node committed.
        var table = ServiceSecrets.Table.QualifiedName;
        await using var batch = dataSource.CreateBatch();
        var insert = new NpgsqlBatchCommand($"insert into {table} (name, secret) values ('cursor-signing', $1) on conflict (name) do nothing");
        insert.Parameters.AddWithValue(RandomNumberGenerator.GetBytes(32));
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select secret from {table} where name = 'cursor-signing'"));
        return await batch.ExecuteScalarAsync() as byte[]
            ?? throw new InvalidOperationException("The cursor signing key could not be read back.");
    }

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
