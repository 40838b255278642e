using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Data;
using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Api.Summaries;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventStore.Api.Segments;

/// <summary><c>Segments:Index:*</c>: how much memory this node's segment index may take.</summary>
public sealed class SegmentIndexOptions
{
    /// <summary>
    /// Estimated memory of every workspace's index together; a workspace that would not fit is searched in SQL (as
    /// before the index) and tried again later. 0 turns the index off.
    /// </summary>
    [Range(0, 1_048_576)]
    public int MemoryLimitMegabytes { get; set; } = 1024;
}

/// <summary>
/// This node's segment index (ADR 0020): each workspace's <see cref="WorkspaceSegments"/>, loaded from event_stats and the
/// users on first use, then caught up before every read with the users whose <c>segment_changes</c> row a transaction
/// invisible to the last snapshot wrote (PostgreSQL snapshots, so no commit is missed whatever order transactions commit in);
/// after an erasure (the workspace's own row), the users that no longer exist are dropped.
/// A read waits for a catch-up that began after it arrived, so it sees every event committed before it. A rebuild of
/// event_stats or segment_changes (their table replaced, or a rebuild recorded since) makes the workspace load again.
/// </summary>
public sealed class SegmentIndex(NpgsqlDataSource dataSource, IOptions<SegmentIndexOptions> options, TimeProvider clock, ILogger<SegmentIndex> logger)
{
    private static readonly TimeSpan RetryTooLargeAfter = TimeSpan.FromMinutes(5);

    /// <summary>How often the background loads new workspaces and catches up the loaded ones.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private static readonly string Users = SegmentCatalog.UserTable;
    private static readonly string Stats = EventStatsProjection.Table.QualifiedName;
    private static readonly string Changes = SegmentChangesProjection.Table.QualifiedName;

    /// <summary>What a rebuild changes: the tables' identities and the rebuilds recorded as finished.</summary>
    private static readonly string GenerationSql =
        $"'{Stats}'::regclass::oid::text || '/' || '{Changes}'::regclass::oid::text || '/' || " +
        $"(select count(*) from {EventStoreSchema.SchemaName}.{ProjectionRebuilds.TableName} where finished_at is not null)::text";

    private static readonly string CatchUpSql =
        "with snap as materialized (select pg_current_snapshot() as s), " +
        $"changed as materialized (select c.timeline_id from {Changes} c where c.tenant_id = $1 " +
        "and c.tx >= pg_snapshot_xmin($2::text::pg_snapshot) and not pg_visible_in_snapshot(c.tx, $2::text::pg_snapshot)) " +
        $"select (select s::text from snap), {GenerationSql}, c.timeline_id, " +
        $"exists (select 1 from {Users} u where u.tenant_id = $1 and u.id = c.timeline_id), e.name, e.count, e.first_at, e.last_at " +
        $"from (select 1) one left join (changed c left join {Stats} e on e.tenant_id = $1 and e.timeline_id = c.timeline_id) on true " +
        "order by c.timeline_id";

    private readonly ConcurrentDictionary<string, Workspace> workspaces = new(StringComparer.Ordinal);
    private long usedBytes;

    private long LimitBytes => options.Value.MemoryLimitMegabytes * 1024L * 1024L;

    /// <summary>
    /// Runs <paramref name="read"/> on the workspace's index, caught up with every commit before this call, under its read lock;
    /// not indexed when the index is off or the workspace does not fit its memory limit (the caller searches in SQL).
    /// </summary>
    internal async Task<(bool Indexed, T Result)> ReadAsync<T>(string workspace, Func<WorkspaceSegments, T> read, CancellationToken cancellation)
    {
        if (LimitBytes == 0)
        {
            return (false, default!);
        }

        var entry = workspaces.GetOrAdd(workspace, _ => new Workspace());
        var ticket = Interlocked.Increment(ref entry.Arrivals);
        await entry.Gate.WaitAsync(cancellation);
        try
        {
            // A catch-up that began after this call arrived has seen everything this call must see.
            if (entry.Segments is null || entry.Covered < ticket)
            {
                var covering = Volatile.Read(ref entry.Arrivals);
                await CatchUpAsync(workspace, entry);
                entry.Covered = covering;
            }
        }
        finally
        {
            entry.Gate.Release();
        }

        var segments = entry.Segments;
        if (segments is null)
        {
            return (false, default!);
        }

        segments.Lock.EnterReadLock();
        try
        {
            return (true, read(segments));
        }
        finally
        {
            segments.Lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Keeps every workspace that has users loaded and nearly current, in the background: each
    /// <see cref="RefreshInterval"/> a workspace not loaded yet is loaded (≈0.6 s per 100,000 users) and a loaded one
    /// caught up, so that a read finds little to catch up and never waits for a load of a workspace older than that.
    /// Within the memory limit, first come first served; a failure is logged and tried again at the next round.
    /// </summary>
    internal async Task RefreshAsync(CancellationToken cancellation)
    {
        if (LimitBytes == 0)
        {
            return;
        }

        await Task.Yield();
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                // Each workspace once, by the primary key's first column, without scanning the users.
                var found = await Sql.ListAsync(dataSource,
                    $"with recursive w as (select min(tenant_id) as id from {Users} union all " +
                    $"select (select min(tenant_id) from {Users} where tenant_id > w.id) from w where w.id is not null) select id from w where id is not null",
                    reader => reader.GetString(0), cancellation);
                foreach (var workspace in found)
                {
                    await ReadAsync(workspace, _ => true, cancellation);
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Best effort (the schema may still be on its way at start): reads load and catch up what they need.
                logger.LogInformation(exception, "Segment index refresh failed; trying again in {Interval}", RefreshInterval);
            }

            try
            {
                await Task.Delay(RefreshInterval, clock, cancellation);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Catches up, or loads the workspace when it has no index yet or a rebuild replaced what it was loaded from.</summary>
    private async Task CatchUpAsync(string workspace, Workspace entry)
    {
        // Not the request's token: a catch-up serves every waiting read, and is applied whole or not at all.
        var cancellation = CancellationToken.None;
        if (entry.Segments is null)
        {
            if (clock.GetUtcNow() >= entry.RetryAt)
            {
                await LoadAsync(workspace, entry, cancellation);
            }

            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var command = new NpgsqlCommand(CatchUpSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = workspace });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Snapshot });
        string snapshot, generation;
        var changed = new List<(string Id, bool Exists, List<MemberRow> Rows)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            (snapshot, generation) = (string.Empty, string.Empty);
            while (await reader.ReadAsync(cancellation))
            {
                (snapshot, generation) = (reader.GetString(0), reader.GetString(1));
                if (reader.IsDBNull(2))
                {
                    continue;
                }

                var id = reader.GetString(2);
                if (changed.Count == 0 || changed[^1].Id != id)
                {
                    changed.Add((id, reader.GetBoolean(3), []));
                }

                if (!reader.IsDBNull(4))
                {
                    changed[^1].Rows.Add(new MemberRow(reader.GetString(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7)));
                }
            }
        }

        if (generation != entry.Generation)
        {
            logger.LogInformation("Segment index of workspace {Workspace}: a rebuild replaced what it was loaded from; loading it again", workspace);
            Drop(entry);
            await LoadAsync(workspace, entry, cancellation);
            return;
        }

        // Users who exist now, read after the snapshot: anyone the index holds and this misses was erased.
        var existing = changed.Any(c => c.Id == SegmentChangesProjection.Erasures)
            ? (await Sql.ListAsync(connection, null, $"select id from {Users} where tenant_id = $1", reader => reader.GetString(0), cancellation, workspace))
                .ToHashSet(StringComparer.Ordinal)
            : null;
        var segments = entry.Segments;
        segments.Lock.EnterWriteLock();
        try
        {
            foreach (var (id, exists, rows) in changed.Where(c => c.Id != SegmentChangesProjection.Erasures))
            {
                segments.Update(id, exists, rows);
            }

            if (existing is not null)
            {
                segments.KeepOnly(existing);
            }

            segments.Order();
        }
        finally
        {
            segments.Lock.ExitWriteLock();
        }

        entry.Snapshot = snapshot;
        var grown = segments.EstimatedBytes - entry.Bytes;
        entry.Bytes = segments.EstimatedBytes;
        if (Interlocked.Add(ref usedBytes, grown) > LimitBytes)
        {
            logger.LogWarning("Segment index of workspace {Workspace} outgrew Segments:Index:MemoryLimitMegabytes; its searches run in SQL", workspace);
            Drop(entry);
            entry.RetryAt = clock.GetUtcNow() + RetryTooLargeAfter;
        }
    }

    /// <summary>Reads the workspace's users and event_stats rows, and the snapshot they were read in, in one repeatable-read transaction.</summary>
    private async Task LoadAsync(string workspace, Workspace entry, CancellationToken cancellation)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellation);
        string snapshot, generation;
        await using (var command = new NpgsqlCommand($"select pg_current_snapshot()::text, {GenerationSql}", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            await reader.ReadAsync(cancellation);
            (snapshot, generation) = (reader.GetString(0), reader.GetString(1));
        }

        var segments = new WorkspaceSegments();
        var available = LimitBytes - Interlocked.Read(ref usedBytes);
        long users = 0, members = 0;
        bool TooLarge() => (users * WorkspaceSegments.BytesPerUser) + (members * WorkspaceSegments.BytesPerMember) > available;

        await using (var command = new NpgsqlCommand($"select id from {Users} where tenant_id = $1", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = workspace });
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            while (!TooLarge() && await reader.ReadAsync(cancellation))
            {
                segments.Update(reader.GetString(0), exists: true, []);
                users++;
            }
        }

        // Each user's rows together (the primary key's order), indexed as they come: nothing is gathered first.
        await using (var command = new NpgsqlCommand(
            $"select timeline_id, name, count, first_at, last_at from {Stats} where tenant_id = $1 order by timeline_id", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = workspace });
            await using var reader = await command.ExecuteReaderAsync(cancellation);
            var rows = new List<MemberRow>();
            string? user = null;
            void Index()
            {
                if (user is not null && segments.Holds(user))
                {
                    segments.Update(user, exists: true, rows);
                }

                rows.Clear();
            }

            while (!TooLarge() && await reader.ReadAsync(cancellation))
            {
                var id = reader.GetString(0);
                if (id != user)
                {
                    Index();
                    user = id;
                }

                rows.Add(new MemberRow(reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
                members++;
            }

            Index();
        }

        await transaction.CommitAsync(cancellation);
        if (TooLarge())
        {
            logger.LogWarning("Segment index of workspace {Workspace} does not fit Segments:Index:MemoryLimitMegabytes; its searches run in SQL", workspace);
            entry.RetryAt = clock.GetUtcNow() + RetryTooLargeAfter;
            return;
        }

        segments.Order();
        entry.Segments = segments;
        entry.Snapshot = snapshot;
        entry.Generation = generation;
        entry.Bytes = segments.EstimatedBytes;
        Interlocked.Add(ref usedBytes, entry.Bytes);
    }

    private void Drop(Workspace entry)
    {
        Interlocked.Add(ref usedBytes, -entry.Bytes);
        entry.Segments = null;
        entry.Bytes = 0;
    }

    /// <summary>A workspace's index and what keeps it current; fields other than <see cref="Arrivals"/> change only under <see cref="Gate"/>.</summary>
    private sealed class Workspace
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public long Arrivals;
        public long Covered;
        public WorkspaceSegments? Segments;
        public string Snapshot = string.Empty;
        public string Generation = string.Empty;
        public long Bytes;
        public DateTimeOffset RetryAt = DateTimeOffset.MinValue;
    }
}

/// <summary>Runs <see cref="SegmentIndex.RefreshAsync"/> while the service runs; the service does not wait for it.</summary>
public sealed class SegmentIndexRefresh(SegmentIndex index) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => index.RefreshAsync(stoppingToken);
}
