using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Threading.Channels;
using EventStore.Api.Persistence;
using EventStore.Domain.Privacy;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace EventStore.Api.Operations;

/// <summary>Where a rebuild is: its phase, how much of it is done, how fast it goes.</summary>
public sealed record RebuildProgress(string Phase, long Done, long Total, double PerSecond)
{
    /// <summary>Seconds left at the current rate, when there is one.</summary>
    public long? EtaSeconds => PerSecond > 0 && Total >= Done ? (long)Math.Ceiling((Total - Done) / PerSecond) : null;
}

/// <summary>
/// The point a rebuild splits the event log at (ADR 0011): every event with a sequence up to <see cref="Sequence"/>
/// is committed, except <see cref="Late"/>: sequence numbers just below it that were taken but not yet
/// committed (or never will be). The bulk pass reads up to the mark without them; the final pass, with
/// writers held, reads everything above the mark plus the late ones that did commit.
/// </summary>
public sealed record LogMark(long Sequence, long[] Late);

/// <summary>One rebuild in progress: the shared machinery every projection's rebuild uses.</summary>
public sealed class RebuildRun(IDocumentStore store, NpgsqlDataSource dataSource, EventLog log, string? workspace,
    RebuildOptions options, IProgress<RebuildProgress> progress, ILogger logger)
{
    /// <summary>How far below the mark a not-yet-committed sequence number can be (see <see cref="MarkAsync"/>).</summary>
    private const long LateWindow = 100_000;

    private readonly Stopwatch clock = Stopwatch.StartNew();

    public IDocumentStore Store { get; } = store;

    public NpgsqlDataSource DataSource { get; } = dataSource;

    public EventLog Log { get; } = log;

    /// <summary>The one workspace being rebuilt, or null for all of them.</summary>
    public string? Workspace { get; } = workspace;

    public RebuildOptions Options { get; } = options;

    public ILogger Logger { get; } = logger;

    public void Report(string phase, long done, long total)
    {
        var seconds = clock.Elapsed.TotalSeconds;
        progress.Report(new RebuildProgress(phase, done, total, seconds > 0 ? done / seconds : 0));
    }

    /// <summary>
    /// Holds every writer of the event log for the rest of <paramref name="transaction"/>: EXCLUSIVE conflicts with the
    /// ROW EXCLUSIVE lock an append (or an erasure) takes, and with nothing a reader takes. It is granted once every
    /// transaction that has written events has committed; appends that start later wait (they are not refused).
    /// </summary>
    public async Task HoldWritersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellation)
    {
        await Sql.ExecuteAsync(connection, transaction, $"set local lock_timeout = '{Options.WriterLockTimeoutSeconds}s'", cancellation);
        await Sql.ExecuteAsync(connection, transaction, $"lock table {EventLog.Events} in exclusive mode", cancellation);
    }

    /// <summary>
    /// Marks the log with writers held for an instant. A writer takes its sequence number just before inserting the
    /// event, so one may have taken a number below the highest committed one and be waiting for this lock to insert
    /// it: those numbers show as gaps just below the mark, and are read again in the final pass if they committed.
    /// </summary>
    public async Task<LogMark> MarkAsync(CancellationToken cancellation)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        await HoldWritersAsync(connection, transaction, cancellation);
        var mark = (long)(await Sql.ScalarAsync(connection, transaction, $"select coalesce(max(seq_id), 0) from {EventLog.Events}", cancellation) ?? 0L);
        var gaps = await Sql.ListAsync(connection, transaction,
            $"select prev + 1, seq_id - 1 from (select seq_id, lag(seq_id, 1, $1) over (order by seq_id) as prev " +
            $"from {EventLog.Events} where seq_id > $1) gaps where seq_id > prev + 1",
            reader => (From: reader.GetInt64(0), To: reader.GetInt64(1)), cancellation, Math.Max(0, mark - LateWindow));
        var late = gaps.SelectMany(gap => Enumerable.Range(0, (int)(gap.To - gap.From + 1)).Select(i => gap.From + i)).ToArray();
        await transaction.CommitAsync(cancellation);
        return new LogMark(mark, late);
    }

    /// <summary>How many events of the filter lie at or below the mark (the total a progress report counts towards).</summary>
    public async Task<long> CountAsync(EventFilter filter, LogMark mark, CancellationToken cancellation)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellation);
        return (long)(await Sql.ScalarAsync(connection, null,
            $"select count(*) from {EventLog.Events} where seq_id <= $1 and type = any($2) and ($3::varchar is null or tenant_id = $3)",
            cancellation, mark.Sequence, filter.TypeNames, filter.Workspace) ?? 0L);
    }

    /// <summary>
    /// Feeds every event up to the mark (without the late ones) to <paramref name="apply"/>, a page at a time, each
    /// page in its own transaction, reporting progress after every page. Reading (and deserializing) the next pages
    /// overlaps with applying the current one, so the service's CPU and PostgreSQL's work at the same time. Each
    /// read and each apply is retried as configured.
    /// </summary>
    public async Task ReplayToMarkAsync(EventFilter filter, LogMark mark, long total, string phase,
        Func<IDocumentSession, IReadOnlyList<IEvent>, CancellationToken, Task> apply,
        Func<IReadOnlyList<IEvent>, bool, CancellationToken, Task>? afterPage, CancellationToken cancellation)
    {
        var late = mark.Late.ToHashSet();
        var readers = Math.Max(1, Options.Workers);
        var pages = Channel.CreateBounded<List<IEvent>>(new BoundedChannelOptions(2 * readers));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        // Pages are ranges of sequence numbers, taken in turn by several readers, so that reading and deserializing
        // (the service's share of the work) uses more than one core too. Ranges hold at most a page of events; the
        // projections fold and insert in any page order.
        long next;
        await using (var connection = await DataSource.OpenConnectionAsync(cancellation))
        {
            next = (long)(await Sql.ScalarAsync(connection, null, $"select coalesce(min(seq_id) - 1, 0) from {EventLog.Events}", cancellation) ?? 0L);
        }

        async Task ReadPagesAsync()
        {
            while (true)
            {
                var after = Interlocked.Add(ref next, Options.PageSize) - Options.PageSize;
                if (after >= mark.Sequence)
                {
                    return;
                }

                var upTo = Math.Min(after + Options.PageSize, mark.Sequence);
                var page = await WithRetriesAsync($"{phase}: reading sequences {after + 1} to {upTo}", async () =>
                {
                    await using var connection = await DataSource.OpenConnectionAsync(stop.Token);
                    return await Log.ReadRangeAsync(connection, null, filter, after, upTo, Options.PageSize, stop.Token);
                }, stop.Token);
                page.RemoveAll(e => late.Contains(e.Sequence));
                if (page.Count > 0)
                {
                    await pages.Writer.WriteAsync(page, stop.Token);
                }
            }
        }

        var reading = Task.Run(async () =>
        {
            // The first reader to fail stops the others, and its failure (not their cancellation) is the rebuild's.
            Exception? failure = null;
            await Task.WhenAll(Enumerable.Range(0, readers).Select(_ => Task.Run(async () =>
            {
                try
                {
                    await ReadPagesAsync();
                }
                catch (Exception exception)
                {
                    if (Interlocked.CompareExchange(ref failure, exception, null) is null)
                    {
                        await stop.CancelAsync();
                    }
                }
            }, CancellationToken.None)));
            pages.Writer.Complete(failure);
        }, CancellationToken.None);

        long done = 0;
        Report(phase, 0, total);
        // Pages are applied by several workers at once (each page in its own transaction), so that PostgreSQL can use
        // more than one core while this process deserializes the next pages; what folds across pages is folded one
        // page at a time.
        using var folding = new SemaphoreSlim(1);
        async Task ApplyPagesAsync()
        {
            await foreach (var events in pages.Reader.ReadAllAsync(cancellation))
            {
                await WithRetriesAsync($"{phase}: applying events from sequence {(events.Count > 0 ? events[0].Sequence : 0)}", async () =>
                {
                    await using var connection = await DataSource.OpenConnectionAsync(cancellation);
                    await ApplyAsync(connection, null, events, apply, cancellation);
                    return events.Count;
                }, cancellation);
                await folding.WaitAsync(cancellation);
                try
                {
                    if (afterPage is not null)
                    {
                        await afterPage(events, false, cancellation);
                    }

                    done += events.Count;
                    Report(phase, done, total);
                }
                finally
                {
                    folding.Release();
                }
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Max(1, Options.Workers)).Select(_ => Task.Run(ApplyPagesAsync, cancellation)));
            if (afterPage is not null)
            {
                // Every page is applied and folded: write what is still folded.
                await afterPage([], true, cancellation);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await reading.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Runs <paramref name="queue"/> on a session of its own and commits it.</summary>
    public async Task ApplyAsync(Action<IDocumentSession> queue, CancellationToken cancellation)
    {
        await using var session = Store.LightweightSession();
        queue(session);
        await session.SaveChangesAsync(cancellation);
    }

    /// <summary>Feeds the events past the mark and the late ones to <paramref name="apply"/> on the caller's transaction.</summary>
    public async Task<int> ReplayPastMarkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, EventFilter filter, LogMark mark,
        Func<IDocumentSession, IReadOnlyList<IEvent>, CancellationToken, Task> apply, CancellationToken cancellation)
    {
        var events = await Log.ReadLateAsync(connection, transaction, filter, mark.Sequence, mark.Late, cancellation);
        await ApplyAsync(connection, transaction, events, apply, cancellation);
        return events.Count;
    }

    /// <summary>Whether a user was erased after the mark (their events may already be in a rebuilt copy).</summary>
    public async Task<bool> ErasedSinceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, LogMark mark, CancellationToken cancellation) =>
        await Sql.ScalarAsync(connection, transaction,
            $"select exists (select 1 from {EventLog.Events} where seq_id > $1 and type = $2)", cancellation,
            mark.Sequence, typeof(UserErased).GetEventTypeName()) is true;

    /// <summary>Runs a step, again after a pause when it fails (<see cref="RebuildOptions.Attempts"/> in all).</summary>
    public async Task<T> WithRetriesAsync<T>(string step, Func<Task<T>> run, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await run();
            }
            catch (Exception exception) when (attempt < Options.Attempts && exception is not OperationCanceledException)
            {
                Logger.LogWarning(exception, "Rebuild step {Step} failed (attempt {Attempt} of {Attempts}); retrying", step, attempt, Options.Attempts);
                await Task.Delay(TimeSpan.FromSeconds(Options.RetryDelaySeconds * attempt), cancellation);
            }
        }
    }

    /// <summary>Runs a step on a connection of its own (a new one per attempt), with <see cref="WithRetriesAsync{T}"/>.</summary>
    public Task OnConnectionWithRetriesAsync(string step, Func<NpgsqlConnection, CancellationToken, Task> work, CancellationToken cancellation) =>
        WithRetriesAsync(step, async () =>
        {
            await using var connection = await DataSource.OpenConnectionAsync(cancellation);
            await work(connection, cancellation);
            return true;
        }, cancellation);

    private async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<IEvent> events,
        Func<IDocumentSession, IReadOnlyList<IEvent>, CancellationToken, Task> apply, CancellationToken cancellation)
    {
        if (events.Count == 0)
        {
            return;
        }

        var own = transaction is null ? await connection.BeginTransactionAsync(cancellation) : null;
        var sessionOptions = Marten.Services.SessionOptions.ForTransaction(transaction ?? own!, shouldAutoCommit: false);
        await using (var session = Store.LightweightSession(sessionOptions))
        {
            try
            {
                await apply(session, events, cancellation);
                await session.SaveChangesAsync(cancellation);
            }
            catch (Exception exception) when (exception is not (OperationCanceledException or RebuildFailedException))
            {
                throw new RebuildFailedException(
                    $"Events {events[0].Sequence} to {events[^1].Sequence} could not be projected: {exception.Message}", null, exception);
            }
        }

        if (own is not null)
        {
            await own.CommitAsync(cancellation);
            await own.DisposeAsync();
        }
    }
}

/// <summary><c>Operations:Rebuild:*</c>: how rebuilds page, retry and wait for writers.</summary>
public sealed class RebuildOptions
{
    /// <summary>Events (or streams) per page of the bulk pass.</summary>
    [Range(1, 1_000_000)]
    public int PageSize { get; set; } = 10_000;

    /// <summary>Pages read at once, pages applied at once (each in its own transaction) and indexes built at once by the bulk pass.</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 2;

    /// <summary>How many (user, name) stats the bulk pass folds in memory before writing them (about 200 bytes each).</summary>
    [Range(1, 100_000_000)]
    public int MaxFoldedStats { get; set; } = 500_000;

    /// <summary>Attempts per step before the rebuild is given up as faulted.</summary>
    [Range(1, 100)]
    public int Attempts { get; set; } = 3;

    [Range(0.0, 3600.0)]
    public double RetryDelaySeconds { get; set; } = 1;

    /// <summary>How long a rebuild waits for in-flight appends before it holds writers (then the step is retried).</summary>
    [Range(1, 3600)]
    public int WriterLockTimeoutSeconds { get; set; } = 10;
}
