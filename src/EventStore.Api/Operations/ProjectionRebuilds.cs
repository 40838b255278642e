using System.Text.Json;
using EventStore.Api.Persistence;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace EventStore.Api.Operations;

/// <summary>Why a rebuild failed, and the event that made it fail when one did.</summary>
public sealed record RebuildError(string Message, Guid? EventId = null, string? Stream = null, string? Workspace = null, long? Sequence = null);

/// <summary>One rebuild, as the admin API shows it.</summary>
public sealed record RebuildJob(
    Guid Id, string Projection, string? Workspace, string State, string Phase, long EventsDone, long EventsTotal,
    double EventsPerSecond, long? EtaSeconds, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, RebuildError? Error, string Origin)
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    /// <summary>A running job whose process is gone (its lock was released without an outcome).</summary>
    public const string Interrupted = "interrupted";
}

/// <summary>The answer to a request to start a rebuild: the job, or the one already running.</summary>
public sealed record RebuildStart(RebuildJob? Started, RebuildJob? AlreadyRunning);

/// <summary>
/// Starts, runs and records projection rebuilds (ADR 0011), for the admin API (in the background) and the command
/// line (in the foreground). One rebuild per projection at a time across every node and the command line: each
/// holds a PostgreSQL advisory lock per projection for its whole run, which is also how the status sees that a
/// projection is rebuilding. Jobs are rows of <c>projection_rebuilds</c>, so any node can report any job.
/// </summary>
public sealed class ProjectionRebuilds(
    IDocumentStore store, NpgsqlDataSource dataSource, IOptions<RebuildOptions> options, ILogger<ProjectionRebuilds> logger,
    IHostApplicationLifetime lifetime)
{
    public const string TableName = "projection_rebuilds";
    private const string Table = $"{EventStoreSchema.SchemaName}.{TableName}";

    /// <summary>The advisory lock space of rebuilds ("EVST"); the second key is the projection's index in <see cref="ReadModels.All"/>.</summary>
    private const int LockClass = 0x45565354;

    /// <summary>How many of the latest rebuilds the status looks at for each projection's last rebuild and fault.</summary>
    private const int RecentJobs = 200;

    private static readonly JsonSerializerOptions ErrorJson = new(JsonSerializerDefaults.Web);

    /// <summary>Starts rebuilding <paramref name="models"/> (one workspace, or all) in the background, unless one of them is rebuilding.</summary>
    public async Task<RebuildStart> StartAsync(IReadOnlyList<ReadModel> models, string? workspace, string origin, CancellationToken cancellation)
    {
        var locks = await TryLockAsync(models, cancellation);
        if (locks is null)
        {
            return new RebuildStart(null, await RunningAsync(models, cancellation) ?? Placeholder(models, workspace));
        }

        var job = await CreateAsync(models, workspace, origin, cancellation);
        // Not tied to the request: the job outlives it, and stops only with the service.
        _ = Task.Run(() => RunAsync(job, models, locks, progress: null, lifetime.ApplicationStopping), CancellationToken.None);
        return new RebuildStart(job, null);
    }

    /// <summary>Rebuilds <paramref name="models"/> now (the command line), reporting progress; the job's outcome, or null when one is already rebuilding.</summary>
    public async Task<RebuildJob?> RunNowAsync(IReadOnlyList<ReadModel> models, string? workspace, IProgress<(ReadModel Model, RebuildProgress Progress)> progress, CancellationToken cancellation)
    {
        var locks = await TryLockAsync(models, cancellation);
        if (locks is null)
        {
            return null;
        }

        var job = await CreateAsync(models, workspace, "command line", cancellation);
        return await RunAsync(job, models, locks, progress, cancellation);
    }

    public async Task<RebuildJob?> FindAsync(Guid id, CancellationToken cancellation)
    {
        var (jobs, _) = await QueryAsync("where id = $1", cancellation, id);
        return jobs.SingleOrDefault();
    }

    /// <summary>The latest rebuilds (newest first), and the projections whose rebuild lock is held right now on any node.</summary>
    public Task<(List<RebuildJob> Jobs, HashSet<string> Rebuilding)> RecentAsync(CancellationToken cancellation) =>
        QueryAsync($"order by started_at desc limit {RecentJobs}", cancellation);

    private async Task<RebuildJob> RunAsync(RebuildJob job, IReadOnlyList<ReadModel> models, RebuildLock locks,
        IProgress<(ReadModel, RebuildProgress)>? progress, CancellationToken cancellation)
    {
        var latest = (Model: models[0], Progress: new RebuildProgress("starting", 0, 0, 0));
        using var stopSaving = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var saving = SaveProgressPeriodicallyAsync(job, () => latest, stopSaving.Token);
        try
        {
            foreach (var step in Steps(models))
            {
                logger.LogInformation("Rebuilding {Projection} (workspace {Workspace}), job {Job}", step.Name, job.Workspace ?? "all", job.Id);
                var reporter = new CallbackProgress<RebuildProgress>(p =>
                {
                    latest = (step, p);
                    progress?.Report((step, p));
                });
                var run = new RebuildRun(store, dataSource, new EventLog(store), job.Workspace, options.Value, reporter, logger);
                await step.RebuildAsync(run, cancellation);
            }

            logger.LogInformation("Rebuilt {Projections} (workspace {Workspace}), job {Job}", string.Join(", ", models.Select(m => m.Name)), job.Workspace ?? "all", job.Id);
            await StopSavingAsync();
            return await FinishAsync(job, locks, latest.Progress, RebuildJob.Succeeded, null);
        }
        catch (Exception exception)
        {
            var failed = exception as RebuildFailedException;
            var error = new RebuildError(
                exception is OperationCanceledException ? "The rebuild was stopped with the service" : $"{latest.Model.Name}: {exception.Message}",
                failed?.Event?.EventId, failed?.Event?.Stream, failed?.Event?.Workspace, failed?.Event?.Sequence);
            logger.LogError(exception, "Rebuild of {Projection} failed at event {EventId} (stream {Stream}, sequence {Sequence}), job {Job}",
                latest.Model.Name, error.EventId, error.Stream, error.Sequence, job.Id);
            await StopSavingAsync();
            // Stopped with the service: not a fault of the projection, just a rebuild to start again.
            var state = exception is OperationCanceledException ? RebuildJob.Interrupted : RebuildJob.Failed;
            return await FinishAsync(job, locks, latest.Progress, state, error);
        }
        finally
        {
            await StopSavingAsync();
            await locks.DisposeAsync();
        }

        async Task StopSavingAsync()
        {
            await stopSaving.CancelAsync();
            await saving;
        }
    }

    private async Task SaveProgressPeriodicallyAsync(RebuildJob job, Func<(ReadModel Model, RebuildProgress Progress)> latest, CancellationToken cancellation)
    {
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation);
                var (model, p) = latest();
                await ExecuteAsync($"update {Table} set phase = $2, events_done = $3, events_total = $4, events_per_second = $5 where id = $1",
                    CancellationToken.None, job.Id, $"{model.Name}: {p.Phase}", p.Done, p.Total, p.PerSecond);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Could not record the progress of rebuild {Job}", job.Id);
        }
    }

    /// <summary>The rebuild in steps: tables rebuilt together share one pass over the log.</summary>
    private static IEnumerable<ReadModel> Steps(IReadOnlyList<ReadModel> models)
    {
        var tables = models.OfType<TableReadModel>().ToList();
        foreach (var model in models.Where(m => m is not TableReadModel))
        {
            yield return model;
        }

        if (tables.Count == 1)
        {
            yield return tables[0];
        }
        else if (tables.Count > 1)
        {
            yield return new TablesTogether(tables);
        }
    }

    /// <summary>Several tables as one step of a rebuild (one pass over the log, one switch).</summary>
    private sealed class TablesTogether(IReadOnlyList<TableReadModel> tables)
        : ReadModel(string.Join("+", tables.Select(t => t.Name)), "", [.. tables.SelectMany(t => t.EventTypes).Distinct()])
    {
        public override Task RebuildAsync(RebuildRun run, CancellationToken cancellation) => TableReadModel.RebuildTogetherAsync(run, tables, cancellation);
    }

    /// <summary>
    /// Records the outcome in the lock's transaction: the outcome shows at the instant the lock is released. The finish
    /// time is <c>clock_timestamp()</c>: <c>now()</c> in this transaction would be when the lock was taken, before the job began.
    /// </summary>
    private async Task<RebuildJob> FinishAsync(RebuildJob job, RebuildLock locks, RebuildProgress last, string state, RebuildError? error)
    {
        try
        {
            await Sql.ExecuteAsync(locks.Connection, locks.Transaction,
                $"update {Table} set state = $2, phase = $3, events_done = $4, events_total = $5, events_per_second = $6, finished_at = clock_timestamp(), error = $7::jsonb where id = $1",
                CancellationToken.None, job.Id, state, last.Phase, last.Done, last.Total, last.PerSecond,
                error is null ? null : JsonSerializer.Serialize(error, ErrorJson));
            await locks.Transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Could not record the outcome ({State}) of rebuild {Job}", state, job.Id);
        }

        return job with { State = state, Phase = last.Phase, EventsDone = last.Done, EventsTotal = last.Total, EventsPerSecond = last.PerSecond, FinishedAt = DateTimeOffset.UtcNow, Error = error };
    }

    /// <summary>
    /// Takes the rebuild lock of every model, or none. Transaction-scoped locks on a connection of their own, held
    /// for the whole rebuild: the transaction writes nothing until the outcome, which it commits with the release.
    /// </summary>
    private async Task<RebuildLock?> TryLockAsync(IReadOnlyList<ReadModel> models, CancellationToken cancellation)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellation);
        var transaction = await connection.BeginTransactionAsync(cancellation);
        foreach (var model in models)
        {
            if (await Sql.ScalarAsync(connection, transaction, "select pg_try_advisory_xact_lock($1, $2)", cancellation, LockClass, ReadModels.IndexOf(model)) is not true)
            {
                await new RebuildLock(connection, transaction).DisposeAsync();
                return null;
            }
        }

        return new RebuildLock(connection, transaction);
    }

    private async Task<RebuildJob> CreateAsync(IReadOnlyList<ReadModel> models, string? workspace, string origin, CancellationToken cancellation)
    {
        var job = new RebuildJob(Guid.CreateVersion7(), string.Join(",", models.Select(m => m.Name)), workspace, RebuildJob.Running, "starting",
            0, 0, 0, null, DateTimeOffset.UtcNow, null, null, origin);
        await ExecuteAsync($"insert into {Table} (id, projection, workspace, state, phase, events_done, events_total, events_per_second, started_at, origin) " +
            "values ($1, $2, $3, $4, $5, 0, 0, 0, now(), $6)", cancellation, job.Id, job.Projection, workspace, job.State, job.Phase, origin);
        return job;
    }

    private async Task<RebuildJob?> RunningAsync(IReadOnlyList<ReadModel> models, CancellationToken cancellation)
    {
        var (jobs, _) = await QueryAsync($"where state = '{RebuildJob.Running}' order by started_at desc", cancellation);
        return jobs.FirstOrDefault(j => j.State == RebuildJob.Running && j.Projection.Split(',').Intersect(models.Select(m => m.Name)).Any());
    }

    /// <summary>A rebuild holds the lock but its row is not visible (another database, or the row not yet committed).</summary>
    private static RebuildJob Placeholder(IReadOnlyList<ReadModel> models, string? workspace) =>
        new(Guid.Empty, string.Join(",", models.Select(m => m.Name)), workspace, RebuildJob.Running, "unknown", 0, 0, 0, null, DateTimeOffset.UtcNow, null, null, "unknown");

    /// <summary>Jobs, a running one without its lock shown as interrupted; and which projections are rebuilding.</summary>
    private async Task<(List<RebuildJob> Jobs, HashSet<string> Rebuilding)> QueryAsync(string tail, CancellationToken cancellation, params object[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        var locked = await Sql.ListAsync(connection, null,
            "select objid::text::int from pg_locks where locktype = 'advisory' and classid::text::int = $1 and objsubid = 2 and granted " +
            // pg_locks lists the locks of every database of the server.
            "and database = (select oid from pg_database where datname = current_database())",
            reader => reader.GetInt32(0), cancellation, LockClass);
        var rebuilding = locked.Where(index => index >= 0 && index < ReadModels.All.Count).Select(index => ReadModels.All[index].Name).ToHashSet(StringComparer.Ordinal);
        var jobs = await Sql.ListAsync(connection, null,
            "select id, projection, workspace, state, phase, events_done, events_total, events_per_second, started_at, finished_at, error::text, origin " +
            $"from {Table} {tail}",
            reader =>
            {
                var projection = reader.GetString(1);
                var state = reader.GetString(3);
                if (state == RebuildJob.Running && !projection.Split(',').Any(rebuilding.Contains))
                {
                    state = RebuildJob.Interrupted;
                }

                var (done, total, rate) = (reader.GetInt64(5), reader.GetInt64(6), reader.GetDouble(7));
                return new RebuildJob(reader.GetGuid(0), projection, reader.IsDBNull(2) ? null : reader.GetString(2), state, reader.GetString(4),
                    done, total, rate, state == RebuildJob.Running ? new RebuildProgress("", done, total, rate).EtaSeconds : null,
                    reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                    reader.IsDBNull(10) ? null : JsonSerializer.Deserialize<RebuildError>(reader.GetString(10), ErrorJson), reader.GetString(11));
            },
            cancellation, parameters);
        return (jobs, rebuilding);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellation, params object?[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        await Sql.ExecuteAsync(connection, null, sql, cancellation, parameters);
    }

    /// <summary>The job table, registered with Marten's schema objects so start-up and <c>db-apply</c> create it.</summary>
    public static Table Definition()
    {
        var table = new Table(EventStoreSchema.TableNamed(TableName));
        table.AddColumn<Guid>("id").AsPrimaryKey();
        table.AddColumn<string>("projection").NotNull();
        table.AddColumn<string>("workspace");
        table.AddColumn<string>("state").NotNull();
        table.AddColumn<string>("phase").NotNull();
        table.AddColumn<long>("events_done").NotNull();
        table.AddColumn<long>("events_total").NotNull();
        table.AddColumn<double>("events_per_second").NotNull();
        table.AddColumn<DateTimeOffset>("started_at").NotNull();
        table.AddColumn<DateTimeOffset>("finished_at");
        table.AddColumn("error", "jsonb");
        table.AddColumn<string>("origin").NotNull();
        // The status reads the latest rebuilds.
        table.Indexes.Add(new IndexDefinition("ix_projection_rebuilds_by_start") { Columns = ["started_at"] });
        return table;
    }

    /// <summary>The connection and transaction holding a rebuild's locks; disposing them releases the locks.</summary>
    private sealed record RebuildLock(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>Reports at once, in order, on the rebuild's own thread (<see cref="Progress{T}"/> would post them to the thread pool).</summary>
    private sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
