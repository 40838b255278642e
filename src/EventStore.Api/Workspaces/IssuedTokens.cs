using System.Buffers.Text;
using System.Security.Cryptography;
using EventStore.Api.Persistence;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql.Tables;

namespace EventStore.Api.Workspaces;

/// <summary>A token issued at run time, as the admin API and the CLI show it: never with its secret.</summary>
public sealed record IssuedToken(string Id, string Workspace, IReadOnlyList<string> Scopes, string Name, DateTimeOffset CreatedAt);

/// <summary>
/// Access tokens created and revoked at run time (<c>POST /admin/tokens</c>, <c>tokens create</c>), kept in
/// <c>eventstore.access_tokens</c>. Only the SHA-256 digest of a secret is stored; the secret itself is
/// returned once, on creation. A presented token is looked up by its digest once per node and then served from
/// the <see cref="IssuedTokenCache"/>; a revocation notifies every node in the same transaction, so it takes
/// effect on all of them as soon as they hear it.
/// </summary>
public sealed class IssuedTokens(NpgsqlDataSource dataSource, AccessTokens configured, IssuedTokenCache cache, TimeProvider clock)
{
    /// <summary>Every issued secret starts with this, so a leaked one is recognisable (secret scanners, logs).</summary>
    public const string SecretPrefix = "es_";

    /// <summary>Random bytes in a secret: 256 bits.</summary>
    public const int SecretBytes = 32;

    public const int MaxNameLength = 100;

    /// <summary><c>es_</c> and 32 bytes in unpadded base64url (43 characters).</summary>
    public static readonly int SecretLength = SecretPrefix.Length + Base64Url.GetEncodedLength(SecretBytes);

    public static readonly Weasel.Postgresql.PostgresqlObjectName Table = EventStoreSchema.TableNamed("access_tokens");

    public static Table Definition()
    {
        var table = new Table(Table);
        table.AddColumn<string>("id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("workspace").NotNull();
        table.AddColumn("scopes", "text[]").NotNull();
        table.AddColumn<string>("name").NotNull();
        table.AddColumn("secret_sha256", "bytea").NotNull();
        table.AddColumn("created_at", "timestamptz").NotNull();
        table.AddColumn("revoked_at", "timestamptz");
        table.Indexes.Add(new IndexDefinition("ux_access_tokens_secret_sha256") { Columns = ["secret_sha256"], IsUnique = true });
        table.Indexes.Add(new IndexDefinition("ix_access_tokens_workspace") { Columns = ["workspace"] });
        return table;
    }

    /// <summary>Whether <paramref name="presented"/> has the shape of an issued secret (cheap, before any database work).</summary>
    public static bool LooksIssued(string presented) =>
        presented.Length == SecretLength
        && presented.StartsWith(SecretPrefix, StringComparison.Ordinal)
        && Base64Url.IsValid(presented.AsSpan(SecretPrefix.Length));

    /// <summary>Whether <paramref name="id"/> has the shape of a token id (<c>tok_</c> and 24 hex digits).</summary>
    public static bool IsTokenId(string id) =>
        id.Length == 28 && id.StartsWith("tok_", StringComparison.Ordinal) && id.AsSpan(4).ContainsAnyExcept("0123456789abcdef") is false;

    /// <summary>Creates a token; the secret in the result is its only copy.</summary>
    public async Task<(IssuedToken Token, string Secret)> CreateAsync(string workspace, IReadOnlyList<string> scopes, string name, CancellationToken cancellation)
    {
        if (!configured.IsWorkspace(workspace))
        {
            throw new ArgumentException($"No workspace '{workspace}' is configured.", nameof(workspace));
        }

        var secret = SecretPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        var token = new IssuedToken(
            "tok_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            workspace,
            [.. Scopes.WorkspaceScopes.Where(scopes.Contains)],
            name,
            DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().ToUnixTimeSeconds()));
        await using var command = dataSource.CreateCommand(
            $"insert into {Table.QualifiedName} (id, workspace, scopes, name, secret_sha256, created_at) values ($1, $2, $3, $4, $5, $6)");
        command.Parameters.AddWithValue(token.Id);
        command.Parameters.AddWithValue(token.Workspace);
        command.Parameters.AddWithValue(token.Scopes.ToArray());
        command.Parameters.AddWithValue(token.Name);
        command.Parameters.AddWithValue(AccessTokens.Digest(secret));
        command.Parameters.Add(new NpgsqlParameter { Value = token.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellation);
        return (token, secret);
    }

    /// <summary>The tokens not revoked, of one workspace or of all, oldest first.</summary>
    public async Task<IReadOnlyList<IssuedToken>> ListAsync(string? workspace, CancellationToken cancellation)
    {
        await using var command = dataSource.CreateCommand(
            $"select id, workspace, scopes, name, created_at from {Table.QualifiedName} " +
            "where revoked_at is null and ($1::text is null or workspace = $1) order by created_at, id");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)workspace ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var tokens = new List<IssuedToken>();
        while (await reader.ReadAsync(cancellation))
        {
            tokens.Add(new IssuedToken(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return tokens;
    }

    /// <summary>
    /// Revokes a token (idempotent); false when no token has this id. The notification is sent by the same statement,
    /// so every node hears it when, and only if, the revocation commits.
    /// </summary>
    public async Task<bool> RevokeAsync(string id, CancellationToken cancellation)
    {
        await using var command = dataSource.CreateCommand(
            $"with revoked as (update {Table.QualifiedName} set revoked_at = coalesce(revoked_at, $2) where id = $1 returning id) " +
            $"select count(*), pg_notify('{IssuedTokenCache.Channel}', '') from revoked");
        command.Parameters.AddWithValue(id);
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        var revoked = (long)(await command.ExecuteScalarAsync(cancellation))! > 0;
        // This node need not wait for its own notification: the next request here is refused.
        cache.Invalidate();
        return revoked;
    }

    /// <summary>
    /// Who an issued token speaks for, or null (unknown, revoked, malformed, or its workspace is no longer
    /// configured). From this node's cache, or one indexed lookup by digest that fills it.
    /// </summary>
    public async Task<TokenOwner?> FindAsync(string presented, CancellationToken cancellation)
    {
        if (!LooksIssued(presented))
        {
            return null;
        }

        var digest = AccessTokens.Digest(presented);
        var key = Convert.ToHexString(digest);
        var owner = cache.Find(key);
        if (owner is null)
        {
            var seen = cache.Generation;
            owner = await LookUpAsync(digest, cancellation);
            if (owner is not null)
            {
                cache.Add(key, owner, seen);
            }
        }

        return owner is not null && configured.IsWorkspace(owner.Workspace!) ? owner : null;
    }

    private async Task<TokenOwner?> LookUpAsync(byte[] digest, CancellationToken cancellation)
    {
        await using var command = dataSource.CreateCommand(
            $"select id, workspace, scopes, secret_sha256 from {Table.QualifiedName} where secret_sha256 = $1 and revoked_at is null");
        command.Parameters.AddWithValue(digest);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        if (!await reader.ReadAsync(cancellation)
            || !CryptographicOperations.FixedTimeEquals(reader.GetFieldValue<byte[]>(3), digest))
        {
            return null;
        }

        // Only workspace scopes count, whatever the row says: an issued token can never be an operator's.
        return new TokenOwner(reader.GetString(1), IsAdmin: false, [.. reader.GetFieldValue<string[]>(2).Where(Scopes.WorkspaceScopes.Contains)], reader.GetString(0));
    }
}
