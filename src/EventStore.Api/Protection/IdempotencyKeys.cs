using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Hosting;
using EventStore.Api.Persistence;
using EventStore.Api.Workspaces;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql.Tables;

namespace EventStore.Api.Protection;

/// <summary><c>Idempotency:*</c>.</summary>
public sealed class IdempotencyOptions
{
    /// <summary>How long a key and its response are kept and replayed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a retry waits for the first request with its key to finish before answering 409.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan WaitForInProgress { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A claim never completed (its node died mid-request) may be taken over after this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AbandonedAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the leader deletes expired keys (<see cref="IdempotencyKeyPurge"/>).</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// <c>Idempotency-Key</c> on any POST: the first request with a key (per workspace) runs and its response
/// (status, Content-Type, body) is stored in PostgreSQL; a retry with the same key within 24 hours gets that
/// response again, marked <c>Idempotent-Replayed: true</c>, without running a second time. The same key with
/// another request (SHA-256 of method, path with query, and body) is 422. Concurrent requests with one key:
/// the first to insert the key runs, the others wait for its stored response (409 if it takes too long).
/// A request that fails with 5xx or an exception gives its key up, so the client's retry runs again.
/// </summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;

    /// <summary>Most a request body may be when hashed for a key (Kestrel's own ceiling is the same).</summary>
    public const long MaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>Response headers replayed with the stored response, besides Content-Type.</summary>
    private static readonly string[] ReplayedHeaders = ["X-Metadata-Keys-Ignored", "Location"];

    public static readonly Weasel.Postgresql.PostgresqlObjectName Table = EventStoreSchema.TableNamed("idempotency_keys");

    public static Table Definition()
    {
        var table = new Table(Table);
        table.AddColumn<string>("tenant_id").NotNull().AsPrimaryKey();
        table.AddColumn<string>("idempotency_key").NotNull().AsPrimaryKey();
        table.AddColumn("request_hash", "bytea").NotNull();
        table.AddColumn<Guid>("claim_id").NotNull();
        table.AddColumn("claimed_at", "timestamptz").NotNull();
        table.AddColumn("status", "integer");
        table.AddColumn<string>("content_type");
        table.AddColumn<string>("headers");
        table.AddColumn("body", "bytea");
        table.Indexes.Add(new IndexDefinition("ix_idempotency_keys_claimed_at") { Columns = ["claimed_at"] });
        return table;
    }

    /// <summary>
    /// Part of an erasure (ADR 0010), in its transaction: deletes the workspace's stored responses whose body contains
    /// any of <paramref name="mentions"/> (the user's identifiers as responses write them), so that no replay brings
    /// the user back, and the claims still in progress, whose responses may have been read before the erasure (they
    /// are then not stored). A retry with one of those keys runs its request again, as with a new key.
    /// The erasing request's own claim (<paramref name="keep"/>) is kept, so that its retry is replayed.
    /// </summary>
    public static Task ForgetResponsesMentioningAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string workspace,
        IEnumerable<string> mentions, Guid? keep, CancellationToken cancellation) =>
        Sql.ExecuteAsync(connection, transaction,
            $"delete from {Table.QualifiedName} where tenant_id = $1 and claim_id <> $3 " +
            "and (status is null or exists (select 1 from unnest($2::bytea[]) m where position(m in body) > 0))",
            cancellation, workspace, mentions.Select(Encoding.UTF8.GetBytes).ToArray(), keep ?? Guid.Empty);

    public static bool IsValidKey(string? key) =>
        key is { Length: > 0 and <= MaxKeyLength } && key.All(c => c is >= ' ' and <= '~');

    public static IApplicationBuilder UseIdempotencyKeys(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!HttpMethods.IsPost(context.Request.Method)
            || !context.Request.Headers.TryGetValue(Header, out var values)
            || context.User.FindFirst(Policies.WorkspaceClaim)?.Value is not { } workspace)
        {
            await next(context);
            return;
        }

        if (values.Count != 1 || !IsValidKey(values[0]))
        {
            await ErrorList.WriteAsync(context, StatusCodes.Status400BadRequest, new ApiError("parameter_invalid",
                $"{Header} must be one value of 1 to {MaxKeyLength} printable ASCII characters", Header));
            return;
        }

        var store = context.RequestServices.GetRequiredService<IdempotencyStore>();
        await RunAsync(context, next, store, workspace, values[0]!);
    });

    private static async Task RunAsync(HttpContext context, RequestDelegate next, IdempotencyStore store, string workspace, string key)
    {
        var cancellation = context.RequestAborted;
        var hash = await HashAsync(context.Request, cancellation);
        if (hash is null)
        {
            await ErrorList.WriteAsync(context, StatusCodes.Status413PayloadTooLarge,
                new ApiError("request_too_large", $"The request body is larger than {MaxBodyBytes} bytes"));
            return;
        }

        var deadline = DateTime.UtcNow + store.Options.WaitForInProgress;
        while (true)
        {
            var claim = await store.ClaimAsync(workspace, key, hash, cancellation);
            if (claim.ClaimId is { } claimId)
            {
                context.Features.Set(new ClaimedKey(claimId));
                await ExecuteAsync(context, next, store, workspace, key, claimId);
                return;
            }

            if (claim.Existing is { } existing && !CryptographicOperations.FixedTimeEquals(existing.RequestHash, hash))
            {
                await ErrorList.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, new ApiError("unprocessable_entity",
                    $"This {Header} was already used with a different request; use a new key for a new request", Header));
                return;
            }

            if (claim.Existing is { Status: { } status } stored)
            {
                await ReplayAsync(context, status, stored);
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                await ErrorList.WriteAsync(context, StatusCodes.Status409Conflict,
                    new ApiError("conflict", $"A request with this {Header} is in progress; retry later", Header));
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), cancellation);
        }
    }

    /// <summary>Runs the request with its response buffered, then stores the response (unless 5xx) and sends it.</summary>
    private static async Task ExecuteAsync(HttpContext context, RequestDelegate next, IdempotencyStore store, string workspace, string key, Guid claimId)
    {
        var response = context.Response;
        var original = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await next(context);
        }
        catch
        {
            response.Body = original;
            await store.ReleaseAsync(workspace, key, claimId);
            throw;
        }

        response.Body = original;
        var body = buffer.ToArray();
        // 5xx: the retry must run again. An error without a body (routing's 404/405) is completed by the
        // error-list middleware outside this one: storing the bare status would replay an empty body.
        if (response.StatusCode >= 500 || (response.StatusCode >= 400 && body.Length == 0))
        {
            await store.ReleaseAsync(workspace, key, claimId);
        }
        else
        {
            var headers = ReplayedHeaders.Where(h => response.Headers.ContainsKey(h)).ToDictionary(h => h, h => response.Headers[h].ToString());
            try
            {
                // Not cancelled with the request: the effect happened, so its response must be kept for the retry.
                await store.CompleteAsync(workspace, key, claimId, new StoredResponse([], response.StatusCode, response.ContentType, headers, body), CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // The response still goes out; a retry runs the request again (POST /events de-duplicates it).
                await store.ReleaseAsync(workspace, key, claimId);
            }
        }

        // Writing nothing must not start the response: the error-list middleware may still have to fill it in.
        if (body.Length > 0)
        {
            await original.WriteAsync(body, context.RequestAborted);
        }
    }

    private static async Task ReplayAsync(HttpContext context, int status, StoredResponse stored)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (stored.ContentType is not null)
        {
            response.ContentType = stored.ContentType;
        }

        foreach (var (name, value) in stored.Headers)
        {
            response.Headers[name] = value;
        }

        response.Headers[ReplayedHeader] = "true";
        await response.Body.WriteAsync(stored.Body, context.RequestAborted);
    }

    /// <summary>SHA-256 of method, path with query, and body; the body is buffered so the endpoint reads it again. Null when too large.</summary>
    private static async Task<byte[]?> HashAsync(HttpRequest request, CancellationToken cancellation)
    {
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxBodyBytes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.PathBase}{request.Path}{request.QueryString}\n"));
        var chunk = new byte[16 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellation)) > 0)
            {
                total += read;
                hash.AppendData(chunk, 0, read);
            }
        }
        catch (IOException) when (total >= MaxBodyBytes - chunk.Length)
        {
            // FileBufferingReadStream refuses to buffer beyond its limit.
            return null;
        }

        request.Body.Position = 0;
        return hash.GetHashAndReset();
    }
}

/// <summary>The key the current request holds (a feature of its <see cref="HttpContext"/>).</summary>
public sealed record ClaimedKey(Guid ClaimId);

/// <summary>A stored response (or a claim without one yet: <see cref="Status"/> null).</summary>
public sealed record StoredResponse(byte[] RequestHash, int? Status, string? ContentType, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>The outcome of claiming a key: ours (<see cref="ClaimId"/>), or the row another request holds.</summary>
public sealed record IdempotencyClaim(Guid? ClaimId, StoredResponse? Existing);

/// <summary>The <c>idempotency_keys</c> table: claims and stored responses.</summary>
public sealed class IdempotencyStore(NpgsqlDataSource dataSource, IOptions<IdempotencyOptions> options, ILogger<IdempotencyStore> logger)
{
    public IdempotencyOptions Options => options.Value;

    /// <summary>
    /// Inserts the key unless it exists (an expired key, or a claim abandoned mid-request, is taken over);
    /// when it exists, reads it back in a second statement, which sees what the other request committed.
    /// </summary>
    public async Task<IdempotencyClaim> ClaimAsync(string workspace, string key, byte[] hash, CancellationToken cancellation)
    {
        var table = IdempotencyKeys.Table.QualifiedName;
        var claimId = Guid.NewGuid();
        await using var batch = dataSource.CreateBatch();
        var insert = new NpgsqlBatchCommand(
            $"insert into {table} as k (tenant_id, idempotency_key, request_hash, claim_id, claimed_at) values ($1, $2, $3, $4, now()) " +
            "on conflict (tenant_id, idempotency_key) do update set request_hash = excluded.request_hash, claim_id = excluded.claim_id, " +
            "claimed_at = excluded.claimed_at, status = null, content_type = null, headers = null, body = null " +
            "where k.claimed_at < now() - $5 or (k.status is null and k.claimed_at < now() - $6) returning k.claim_id");
        insert.Parameters.AddWithValue(workspace);
        insert.Parameters.AddWithValue(key);
        insert.Parameters.AddWithValue(hash);
        insert.Parameters.AddWithValue(claimId);
        insert.Parameters.AddWithValue(options.Value.Retention);
        insert.Parameters.AddWithValue(options.Value.AbandonedAfter);
        var select = new NpgsqlBatchCommand(
            $"select request_hash, status, content_type, headers, body from {table} where tenant_id = $1 and idempotency_key = $2");
        select.Parameters.AddWithValue(workspace);
        select.Parameters.AddWithValue(key);
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(select);
        await using var reader = await batch.ExecuteReaderAsync(cancellation);
        if (await reader.ReadAsync(cancellation) && reader.GetGuid(0) == claimId)
        {
            return new IdempotencyClaim(claimId, null);
        }

        await reader.NextResultAsync(cancellation);
        if (!await reader.ReadAsync(cancellation))
        {
            // The holder gave the key up between the two statements: the caller claims again.
            return new IdempotencyClaim(null, null);
        }

        var headers = reader.IsDBNull(3)
            ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [];
        return new IdempotencyClaim(null, new StoredResponse(
            reader.GetFieldValue<byte[]>(0),
            reader.IsDBNull(1) ? null : reader.GetInt32(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            headers,
            reader.IsDBNull(4) ? [] : reader.GetFieldValue<byte[]>(4)));
    }

    public async Task CompleteAsync(string workspace, string key, Guid claimId, StoredResponse response, CancellationToken cancellation)
    {
        await using var command = dataSource.CreateCommand(
            $"update {IdempotencyKeys.Table.QualifiedName} set status = $4, content_type = $5, headers = $6, body = $7 " +
            "where tenant_id = $1 and idempotency_key = $2 and claim_id = $3");
        command.Parameters.AddWithValue(workspace);
        command.Parameters.AddWithValue(key);
        command.Parameters.AddWithValue(claimId);
        command.Parameters.AddWithValue(response.Status!.Value);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)response.ContentType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.AddWithValue(JsonSerializer.Serialize(response.Headers));
        command.Parameters.AddWithValue(response.Body);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>Gives a claim up (the request failed), so a retry runs the request again. Never throws.</summary>
    public async Task ReleaseAsync(string workspace, string key, Guid claimId)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                $"delete from {IdempotencyKeys.Table.QualifiedName} where tenant_id = $1 and idempotency_key = $2 and claim_id = $3 and status is null");
            command.Parameters.AddWithValue(workspace);
            command.Parameters.AddWithValue(key);
            command.Parameters.AddWithValue(claimId);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The claim then expires as abandoned (Idempotency:AbandonedAfter).
            logger.LogWarning(e, "Could not release an idempotency key");
        }
    }
}

/// <summary>
/// Deletes expired keys (older than <c>Idempotency:Retention</c>) every <c>Idempotency:PurgeInterval</c>, the first
/// time one interval after its node became the leader: one node of the cluster does it (<see cref="LeaderElection"/>).
/// Batches skip rows another transaction is deleting, so a former leader finishing its batch never blocks the new one.
/// </summary>
public sealed class IdempotencyKeyPurge(NpgsqlDataSource dataSource, IOptions<IdempotencyOptions> options, ILogger<IdempotencyKeyPurge> logger) : ILeaderWork
{
    /// <summary>Rows per statement: short transactions, whatever the backlog.</summary>
    private const int Batch = 5000;

    private static readonly string PurgeSql =
        $"delete from {IdempotencyKeys.Table.QualifiedName} where ctid in (select ctid from {IdempotencyKeys.Table.QualifiedName} " +
        "where claimed_at < now() - $1 limit $2 for update skip locked)";

    public string Name => "the idempotency-key purge";

    public async Task RunAsync(CancellationToken leadership)
    {
        // The first purge one interval after the leadership begins: by then start-up has created or migrated the schema.
        while (await Pause(options.Value.PurgeInterval, leadership))
        {
            try
            {
                logger.LogDebug("Deleting expired idempotency keys");
                await PurgeAsync(leadership);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Could not delete expired idempotency keys; trying again in {Interval}", options.Value.PurgeInterval);
            }
        }
    }

    private static async Task<bool> Pause(TimeSpan interval, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(interval, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Deletes every expired key, a batch at a time.</summary>
    private async Task PurgeAsync(CancellationToken cancellation)
    {
        int deleted;
        do
        {
            await using var command = dataSource.CreateCommand(PurgeSql);
            command.Parameters.AddWithValue(options.Value.Retention);
            command.Parameters.AddWithValue(Batch);
            deleted = await command.ExecuteNonQueryAsync(cancellation);
        }
        while (deleted == Batch);
    }
}
