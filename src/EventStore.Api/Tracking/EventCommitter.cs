using System.ComponentModel.DataAnnotations;
using System.Data;
using System.Diagnostics;
using System.Threading.Channels;
using EventStore.Api.Persistence;
using EventStore.Api.Telemetry;
using EventStore.Domain.Tracking;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Weasel.Storage;

namespace EventStore.Api.Tracking;

/// <summary>Group commit settings (configuration section "Tracking").</summary>
public sealed class GroupCommitOptions
{
    /// <summary>Most commands decided and committed in one transaction.</summary>
    [Range(1, 100_000)]
    public int MaxCommandsPerCommit { get; set; } = 1000;

    /// <summary>Committers working side by side; a user always goes to the same one.</summary>
    [Range(1, 64)]
    public int Committers { get; set; } = 2;
}

/// <summary>
/// A pool for group commits only, a type of its own so that nothing else is handed it. Nothing a group sets outlives its
/// transaction (locks), so a connection needs no reset between groups: Npgsql's reset is a seven-statement query at the
/// start of every group. Its sessions plan every statement generically (ADR 0012): group statements are keyed lookups
/// and set-based writes over the group's arrays, which one plan fits whatever their sizes.
/// </summary>
public sealed class GroupCommitConnections(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public static GroupCommitConnections For(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "group-commits", ConnectionStringBuilder = { NoResetOnClose = true } };
        builder.ConnectionStringBuilder.Options = $"{builder.ConnectionStringBuilder.Options} -c plan_cache_mode=force_generic_plan".Trim();
        return new GroupCommitConnections(builder.Build());
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

/// <summary>
/// Group commit of track commands. Requests queue their commands on a lane; the lane's leader takes everything
/// queued (up to a cap) while its previous transaction was committing, decides it with <see cref="TrackingBatch"/>
/// and commits it in one transaction per workspace. Under load a transaction carries many events, so PostgreSQL's
/// per-commit cost (the WAL flush) is shared; with no load a command is committed at once, on its own request's
/// thread, without waiting for company or a hand-over to another thread. Every request is answered only after its
/// own transaction has committed. A conflict with another writer re-decides the group; a failure that is not a
/// conflict is isolated by committing the group's works one by one, so one bad command cannot fail its neighbours.
/// </summary>
public sealed class EventCommitter : IHostedService, IAsyncDisposable
{
    private readonly IDocumentStore store;
    private readonly IOptions<TrackingRules> rules;
    private readonly EventNameCatalogCache catalogs;
    private readonly KnownTimelineIds timelineIds;
    private readonly ILogger<EventCommitter> logger;
    private readonly GroupCommitOptions options;
    private readonly Lane[] lanes;
    private readonly CancellationTokenSource stopping = new();

    private readonly NpgsqlDataSource connections;

    public EventCommitter(IDocumentStore store, IOptions<TrackingRules> rules, IOptions<GroupCommitOptions> options, EventNameCatalogCache catalogs,
        KnownTimelineIds timelineIds, GroupCommitConnections connections, ILogger<EventCommitter> logger)
    {
        this.connections = connections.DataSource;
        this.timelineIds = timelineIds;
        this.store = store;
        this.rules = rules;
        this.catalogs = catalogs;
        this.logger = logger;
        this.options = options.Value;
        lanes = [.. Enumerable.Range(0, Math.Max(1, this.options.Committers)).Select(_ => new Lane())];
    }

    /// <summary>Queues commands of one workspace and completes when they are committed (or refused).</summary>
    public async Task<IReadOnlyList<TrackOutcome>> CommitAsync(string workspace, TrackingWork work, CancellationToken cancellation)
    {
        var pending = new Pending(workspace, work);
        var lane = lanes[(int)((uint)LaneKey(workspace, work).GetHashCode() % (uint)lanes.Length)];
        await lane.Queue.Writer.WriteAsync(pending, cancellation);
        EventStoreMetrics.PendingCommit(workspace, work.Commands.Count);
        try
        {
            if (lane.TryLead())
            {
                await LeadAsync(lane, pending);
            }

            return await pending.Completion.Task.WaitAsync(cancellation);
        }
        finally
        {
            EventStoreMetrics.PendingCommit(workspace, -work.Commands.Count);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Commit what is queued before stopping: it may already be waited on by a request.
        foreach (var lane in lanes)
        {
            lane.Queue.Writer.TryComplete();
        }

        await Task.WhenAll(lanes.Select(lane => lane.HandedOver)).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Called twice (it is registered as a service and as a hosted service); cancelling twice is harmless.</summary>
    public async ValueTask DisposeAsync() => await stopping.CancelAsync();

    /// <summary>Same user, same lane: a user's commands are decided in order by one committer.</summary>
    private static string LaneKey(string workspace, TrackingWork work)
    {
        var who = work.Commands[0].Who;
        return $"{workspace}|{who.UserId ?? who.Email?.ToLowerInvariant() ?? who.IntercomUserId}";
    }

    /// <summary>
    /// Commits the lane's queued groups while holding its lead. A request leads until its own command is answered;
    /// if more are queued by then, a pooled thread takes the lead on so that the request can be answered.
    /// </summary>
    private async Task LeadAsync(Lane lane, Pending? own)
    {
        var group = new List<Pending>();
        do
        {
            var handedOver = false;
            try
            {
                while (lane.Queue.Reader.TryPeek(out _))
                {
                    if (own is not null && own.Completion.Task.IsCompleted)
                    {
                        lane.HandedOver = Task.Run(() => LeadAsync(lane, null), CancellationToken.None);
                        handedOver = true;
                        return;
                    }

                    var commands = 0;
                    while (commands < options.MaxCommandsPerCommit && lane.Queue.Reader.TryRead(out var pending))
                    {
                        group.Add(pending);
                        commands += pending.Work.Commands.Count;
                    }

                    await CommitGroupAsync(group).ConfigureAwait(false);
                    group.Clear();
                }
            }
            catch (Exception e)
            {
                // Unreachable unless a bug: no request may wait forever on a group, nor a lane stay led by nobody.
                group.ForEach(pending => pending.Completion.TrySetException(e));
                throw;
            }
            finally
            {
                if (!handedOver)
                {
                    lane.Release();
                }
            }
        }
        while (lane.Queue.Reader.TryPeek(out _) && lane.TryLead());
    }

    private async Task CommitGroupAsync(IReadOnlyList<Pending> group)
    {
        foreach (var workspace in group.GroupBy(p => p.Workspace))
        {
            try
            {
                await CommitAsync(workspace.Key, [.. workspace], stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Never leave a request waiting on a lead that gave up (shutdown, or a bug).
                foreach (var pending in workspace)
                {
                    pending.Completion.TrySetException(e);
                }
            }
        }
    }

    private async Task CommitAsync(string workspace, IReadOnlyList<Pending> group, CancellationToken cancellation)
    {
        var basis = DecisionBasis.Known;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var outcomes = await DecideAndCommitAsync(workspace, group, basis, cancellation);
                // Counted before any request is answered, so that a client that got its answer finds it counted.
                Count(workspace, outcomes);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Completion.TrySetResult(outcomes[i]);
                }

                return;
            }
            catch (Exception e) when (basis == DecisionBasis.Known && WriteConflicts.KindOf(e) is { } kind)
            {
                // What the node knew was out of date, or an event was a duplicate: deciding on what is read finds out which.
                WriteConflicts.Retried(workspace, kind);
                basis = DecisionBasis.Guessed;
                attempt--;
            }
            catch (StaleTimelineGuessException) when (basis != DecisionBasis.Read)
            {
                // The guess is corrected by what the group read; deciding again without one costs a round trip, not a retry.
                basis = DecisionBasis.Read;
                attempt--;
            }
            catch (Exception e) when (attempt < WriteConflicts.MaxAttempts && WriteConflicts.KindOf(e) is { } kind)
            {
                // Another writer (another node, or an import) changed what this group read: decide it again.
                WriteConflicts.Retried(workspace, kind);
                logger.LogDebug(e, "Group commit of {Count} works in workspace {Workspace} lost a race ({Kind}); deciding it again", group.Count, workspace, kind);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * attempt)), cancellation);
            }
            catch (Exception e) when (group.Count > 1 && !WriteConflicts.IsDatabaseUnavailable(e))
            {
                logger.LogWarning(e, "Group commit of {Count} works failed in workspace {Workspace}; committing them one by one", group.Count, workspace);
                foreach (var single in group)
                {
                    await CommitAsync(workspace, [single], cancellation);
                }

                return;
            }
            catch (Exception e)
            {
                foreach (var pending in group)
                {
                    pending.Completion.TrySetException(e);
                }

                return;
            }
        }
    }

    /// <summary>
    /// One connection and one transaction for the whole group: its reads, its writes and its commit. A group is decided
    /// on what the node knows when it can be (<see cref="TrackingBatch.StageKnown"/>), otherwise on what it reads.
    /// </summary>
    private async Task<IReadOnlyList<IReadOnlyList<TrackOutcome>>> DecideAndCommitAsync(string workspace, IReadOnlyList<Pending> group, DecisionBasis basis,
        CancellationToken cancellation)
    {
        await using var connection = connections.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellation);
            await using var transaction = await connection.BeginTransactionAsync(cancellation);
            var options = Marten.Services.SessionOptions.ForTransaction(transaction);
            options.TenantId = workspace;
            await using var session = store.LightweightSession(options);
            var works = group.Select(p => p.Work).ToList();
            var outcomes = basis == DecisionBasis.Known ? TrackingBatch.StageKnown(session, works, rules.Value, catalogs, timelineIds) : null;
            var decidedOn = outcomes is null ? EventStoreMetrics.ReadBasis : EventStoreMetrics.KnownBasis;
            outcomes ??= await TrackingBatch.StageAsync(session, works, rules.Value, catalogs, basis == DecisionBasis.Read ? null : timelineIds, cancellation);
            await SaveChangesAsync(session, transaction, workspace, decidedOn, cancellation);
            return outcomes;
        }
        catch (InvalidOperationException e) when (connection.FullState.HasFlag(ConnectionState.Broken) || connection.State == ConnectionState.Closed)
        {
            // Npgsql reports a connection that broke under an open transaction as "Transaction is already completed".
            throw new ConnectionBrokenException(e);
        }
    }

    /// <summary>
    /// Writes and commits the group's transaction, timed for <c>eventstore.append.duration</c> whatever its outcome. A group
    /// of plain appends (no stream Marten appends to, only statements that return nothing) can fail only inside PostgreSQL,
    /// never in a check Marten makes once a statement has run (a stream's expected version): its COMMIT is sent with its
    /// statements, one round trip instead of two; a failing statement stops the batch before it.
    /// </summary>
    private static async Task SaveChangesAsync(IDocumentSession session, NpgsqlTransaction transaction, string workspace, string basis, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var commitWithWrites = !session.PendingChanges.Streams().Any() && session.PendingChanges.Operations().All(o => o is NoDataReturnedCall);
            if (commitWithWrites)
            {
                session.QueueSqlCommand("commit");
            }

            await session.SaveChangesAsync(cancellation);
            if (!commitWithWrites)
            {
                await transaction.CommitAsync(cancellation);
            }

            EventStoreMetrics.RecordAppend(workspace, Stopwatch.GetElapsedTime(started), basis: basis);
        }
        catch (Exception e)
        {
            EventStoreMetrics.RecordAppend(workspace, Stopwatch.GetElapsedTime(started),
                WriteConflicts.IsConflict(e) ? EventStoreMetrics.Conflict : EventStoreMetrics.Failed, basis);
            throw;
        }
    }

    /// <summary>What became of each committed command: once per command, only once its transaction has committed.</summary>
    private static void Count(string workspace, IReadOnlyList<IReadOnlyList<TrackOutcome>> outcomes)
    {
        int accepted = 0, duplicates = 0, notStored = 0;
        foreach (var outcome in outcomes.SelectMany(o => o))
        {
            switch (outcome)
            {
                case { Rejection: { } rejection }:
                    EventStoreMetrics.Rejected(workspace, rejection.Code);
                    break;
                case { IsDuplicate: true }:
                    duplicates++;
                    break;
                case { Stored: false }:
                    notStored++;
                    break;
                default:
                    accepted++;
                    break;
            }
        }

        if (accepted > 0)
        {
            EventStoreMetrics.Accepted(workspace, accepted);
        }

        if (duplicates > 0)
        {
            EventStoreMetrics.Duplicate(workspace, duplicates);
        }

        if (notStored > 0)
        {
            EventStoreMetrics.Rejected(workspace, EventStoreMetrics.NotStoredReason, notStored);
        }
    }

    /// <summary>Commands queued for one committer, and which request (or pooled thread) commits them now.</summary>
    private sealed class Lane
    {
        private int leading;

        public Channel<Pending> Queue { get; } = Channel.CreateBounded<Pending>(16_384);

        /// <summary>The pooled thread the lead was last handed to; awaited at shutdown.</summary>
        public Task HandedOver { get; set; } = Task.CompletedTask;

        public bool TryLead() => Interlocked.CompareExchange(ref leading, 1, 0) == 0;

        public void Release() => Interlocked.Exchange(ref leading, 0);
    }

    /// <summary>What a group is decided on: the node's copy of its users and names, a guess of its timelines checked by reads, or reads alone.</summary>
    private enum DecisionBasis
    {
        Known,
        Guessed,
        Read,
    }

    private sealed record Pending(string Workspace, TrackingWork Work)
    {
        public TaskCompletionSource<IReadOnlyList<TrackOutcome>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
