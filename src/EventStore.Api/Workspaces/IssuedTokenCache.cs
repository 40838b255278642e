using System.Collections.Concurrent;
using Npgsql;

namespace EventStore.Api.Workspaces;

/// <summary>
/// The issued tokens this node has found valid, so that a request with one costs no database lookup. Every
/// revocation notifies each node through PostgreSQL (<c>LISTEN/NOTIFY</c> on <see cref="Channel"/>), and a
/// notification empties the cache; while this node is not listening (starting, or its listening connection lost)
/// nothing is served from it (docs/security.md, "Revocation").
/// </summary>
public sealed class IssuedTokenCache(NpgsqlDataSource listener, ILogger<IssuedTokenCache> logger) : BackgroundService
{
    /// <summary>The listening connection's own pool of one, so that it never takes a connection requests need.</summary>
    public static NpgsqlDataSource ListenerSource(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString)
        {
            Name = "eventstore-token-revocations",
            ConnectionStringBuilder = { MaxPoolSize = 1, ApplicationName = "eventstore-token-revocations" },
        }.Build();

    /// <summary>The notification channel (per database) that <see cref="IssuedTokens.RevokeAsync"/> notifies.</summary>
    public const string Channel = "eventstore_access_tokens";

    /// <summary>An idle listening connection is checked this often, so that a silent loss stops the cache soon.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(1);

    /// <summary>Beyond this many entries the cache starts over: issued tokens are few, guessed ones are never cached.</summary>
    private const int MaxEntries = 10_000;

    /// <summary>By the hex of the token's SHA-256 digest: a hit is the same digest, so nothing more to compare.</summary>
    private readonly ConcurrentDictionary<string, TokenOwner> byDigest = new(StringComparer.Ordinal);
    private volatile bool listening;
    private long generation;

    /// <summary>Taken before a database lookup and handed to <see cref="Add"/>: a revocation seen in between wins.</summary>
    public long Generation => Interlocked.Read(ref generation);

    /// <summary>The owner of a cached token, while this node is listening for revocations.</summary>
    public TokenOwner? Find(string key) => listening && byDigest.TryGetValue(key, out var owner) ? owner : null;

    /// <summary>Remembers a token found valid, unless a revocation (or a lost connection) came after <paramref name="seen"/>.</summary>
    public void Add(string key, TokenOwner owner, long seen)
    {
        if (!listening || seen != Generation)
        {
            return;
        }

        if (byDigest.Count >= MaxEntries)
        {
            byDigest.Clear();
        }

        byDigest[key] = owner;
        if (seen != Generation)
        {
            // A revocation cleared the cache while this entry went in: take it out again.
            byDigest.TryRemove(key, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database is unavailable, or the connection was lost: lookups go to the database meanwhile.
                logger.LogDebug(e, "Not listening for token revocations; issued tokens are looked up in the database until listening again");
            }
            finally
            {
                listening = false;
                Invalidate();
            }

            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        await using var connection = await listener.OpenConnectionAsync(stoppingToken);
        connection.Notification += (_, _) => Invalidate();
        await using (var listen = new NpgsqlCommand($"listen {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        // Whatever was revoked while this node was not listening: start empty.
        Invalidate();
        listening = true;
        while (true)
        {
            if (!await connection.WaitAsync(KeepAlive, stoppingToken))
            {
                await using var ping = new NpgsqlCommand("select 1", connection);
                await ping.ExecuteScalarAsync(stoppingToken);
            }
        }
    }

    public override void Dispose()
    {
        listener.Dispose();
        base.Dispose();
    }

    /// <summary>Forgets every cached token (a revocation was made or heard of, or the listening connection changed).</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref generation);
        byDigest.Clear();
    }
}
