using EventStore.Api.Overview;
using EventStore.Api.Persistence;
using EventStore.Api.Summaries;
using EventStore.Api.Timelines;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace EventStore.Api.Operations;

/// <summary>
/// A read model the service keeps from the event log, and how it is rebuilt from it while the service keeps
/// taking events (ADR 0011). Every projection is inline: it is written in the transaction of the events.
/// </summary>
public abstract class ReadModel(string name, string description, IReadOnlyList<Type> eventTypes)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    public IReadOnlyList<Type> EventTypes { get; } = eventTypes;

    /// <summary>Bumped when a change of the projection's code needs a rebuild to show in existing data.</summary>
    public virtual int Version => 1;

    public abstract Task RebuildAsync(RebuildRun run, CancellationToken cancellation);
}

/// <summary>The service's read models, in the order a full rebuild takes them (write-side snapshots first).</summary>
public static class ReadModels
{
    public static readonly IReadOnlyList<ReadModel> All =
    [
        new SnapshotReadModel<UserTimeline>(nameof(UserTimeline), "Identity snapshot of each user's timeline (user_id, email), read by the write side",
            "mt_doc_usertimeline", "user_timeline", [typeof(UserTimelineStarted), typeof(UserIdAttached), typeof(EmailAttached)],
            (timeline, @event) => @event switch
            {
                UserTimelineStarted started => UserTimelineProjection.Create(started),
                UserIdAttached attached when timeline is not null => UserTimelineProjection.Apply(attached, timeline),
                EmailAttached attached when timeline is not null => UserTimelineProjection.Apply(attached, timeline),
                _ => timeline,
            }),
        new SnapshotReadModel<EventNameCatalog>(nameof(EventNameCatalog), "Each workspace's event names: activation, description, archiving",
            "mt_doc_eventnamecatalog", "event_name_catalog",
            [typeof(EventNameActivated), typeof(EventNameDescribed), typeof(EventNameArchived), typeof(EventNameUnarchived)],
            (catalog, @event) => (@event, catalog) switch
            {
                (EventNameActivated activated, null) => EventNameCatalogProjection.Create(activated),
                (EventNameActivated activated, { } c) => EventNameCatalogProjection.Apply(activated, c),
                (EventNameDescribed described, { } c) => EventNameCatalogProjection.Apply(described, c),
                (EventNameArchived archived, { } c) => EventNameCatalogProjection.Apply(archived, c),
                (EventNameUnarchived unarchived, { } c) => EventNameCatalogProjection.Apply(unarchived, c),
                _ => catalog,
            }),
        TimelineProjection.ReadModel,
        EventStatsProjection.ReadModel,
        EventActivityProjection.ReadModel,
        Segments.SegmentChangesProjection.ReadModel,
    ];

    /// <summary>The read models kept in tables of our own: written with the events, by Marten and by the group commit.</summary>
    public static IEnumerable<TableReadModel> Tables => All.OfType<TableReadModel>();

    public static ReadModel? Named(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The model's place in <see cref="All"/>: the second key of its rebuild lock.</summary>
    public static int IndexOf(ReadModel model) => All.ToList().IndexOf(model);
}

/// <summary>
/// A read model kept in a table of our own (<c>timeline_entries</c>, <c>event_stats</c>), rebuilt blue/green: a
/// copy of the table is filled from the log up to a mark while the live table keeps serving reads and taking
/// inline writes; then, with writers held for a moment, the events past the mark are applied to the copy and the
/// copy replaces the live table (the whole table by rename; one workspace's rows by delete and copy).
/// A copy whose projection only inserts (one row per event, each event read once) is filled without its primary
/// key (<paramref name="keyedWhileFilled"/> false), which makes every insert several times cheaper; the key is
/// built with the other indexes, and a row written twice (a page committed whose commit was reported lost, then
/// retried) fails that step, so the rebuild fails and the live table stays as it was.
/// A user erased while the copy was filled may have left rows in it: they are dropped by timeline at the switch, or, for a
/// table whose rows are not per user (<c>event_activity</c>), the copy is recounted by <paramref name="recountAfterErasure"/>.
/// </summary>
public sealed class TableReadModel(string name, string description, string table, IReadOnlyList<Type> eventTypes,
    Func<string, string, string?, Marten.Events.Projections.IProjection> projectionInto, bool keyedWhileFilled,
    Func<NpgsqlConnection, NpgsqlTransaction, string, string?, CancellationToken, Task>? recountAfterErasure = null)
    : ReadModel(name, description, eventTypes)
{
    private const string Schema = EventStoreSchema.SchemaName;

    /// <summary>The projection into the live table, applied in the events' transaction (registered with Marten inline).</summary>
    public required ITableProjection Projection { get; init; }

    /// <summary>The table, registered with Marten's schema objects so start-up and <c>db-apply</c> create and migrate it.</summary>
    public required Func<Weasel.Postgresql.Tables.Table> Definition { get; init; }

    /// <summary>
    /// In an erasure's transaction, before the user's events and stream are deleted: takes the user out of the table
    /// (connection, transaction, workspace, timeline id), so that it holds what a rebuild from the remaining log gives (ADR 0010).
    /// </summary>
    public required Func<NpgsqlConnection, NpgsqlTransaction, string, string, CancellationToken, Task> ForgetTimeline { get; init; }

    /// <summary>The live table's qualified name.</summary>
    public string QualifiedTable => Live;

    private string Live => $"{Schema}.{table}";

    private string Shadow => $"{Schema}.{table}_rebuild";

    public override Task RebuildAsync(RebuildRun run, CancellationToken cancellation) => RebuildTogetherAsync(run, [this], cancellation);

    /// <summary>
    /// Rebuilds several tables in one pass over the log: each event is read and deserialized once and applied to
    /// every copy in the same transaction, and all the copies switch in the same instant.
    /// </summary>
    public static async Task RebuildTogetherAsync(RebuildRun run, IReadOnlyList<TableReadModel> models, CancellationToken cancellation)
    {
        var filter = EventFilter.For(models.SelectMany(m => m.EventTypes).Distinct(), run.Workspace);
        var projections = new List<Marten.Events.Projections.IProjection>();
        try
        {
            foreach (var model in models)
            {
                projections.Add(await model.PrepareCopyAsync(run, cancellation));
            }

            var staged = projections.OfType<StagedTimelineCopy>().ToList();
            foreach (var copy in staged)
            {
                await using var connection = await run.DataSource.OpenConnectionAsync(cancellation);
                await copy.PrepareAsync(connection, cancellation);
            }

            async Task Apply(IDocumentSession session, IReadOnlyList<IEvent> events, CancellationToken token)
            {
                foreach (var projection in projections)
                {
                    await projection.ApplyAsync(session, events, token);
                }
            }

            // The bulk pass: stats are folded in memory across pages and written in large upserts, timeline rows
            // are staged and moved into the copy at the end (ADR 0011); the rest is written page by page.
            var accumulated = projections.OfType<IAccumulatedCopy>().ToList();
            async Task ApplyPage(IDocumentSession session, IReadOnlyList<IEvent> events, CancellationToken token)
            {
                foreach (var projection in projections.Where(p => p is not IAccumulatedCopy))
                {
                    if (projection is StagedTimelineCopy copy)
                    {
                        copy.Stage(session, events);
                    }
                    else
                    {
                        await projection.ApplyAsync(session, events, token);
                    }
                }
            }

            async Task AfterPage(IReadOnlyList<IEvent> events, bool last, CancellationToken token)
            {
                foreach (var stats in accumulated)
                {
                    stats.Accumulate(events);
                    if (last || stats.Pending >= run.Options.MaxFoldedStats)
                    {
                        await run.WithRetriesAsync("writing folded stats", async () =>
                        {
                            await run.ApplyAsync(session => stats.QueueWrite(session), token);
                            return true;
                        }, token);
                        stats.Clear();
                    }
                }
            }

            var mark = await run.WithRetriesAsync("marking the log", () => run.MarkAsync(cancellation), cancellation);
            var total = await run.CountAsync(filter, mark, cancellation);
            await run.ReplayToMarkAsync(filter, mark, total, "replaying", ApplyPage, AfterPage, cancellation);
            foreach (var copy in staged)
            {
                run.Report("positioning", total, total);
                await run.OnConnectionWithRetriesAsync("positioning the timeline copy", copy.CompleteAsync, cancellation);
            }

            run.Report("indexing", total, total);
            var indexing = new List<(string Model, string Statement)>();
            var keying = new List<(string Model, string Statement)>();
            foreach (var model in models)
            {
                var (builds, key) = await model.CopyIndexesAsync(run, cancellation);
                indexing.AddRange(builds.Select(build => (model.Name, build)));
                if (key is not null)
                {
                    keying.Add((model.Name, key));
                }
            }

            // Each index is built by one backend; building them side by side uses the database's other cores.
            await Parallel.ForEachAsync(indexing, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, run.Options.Workers), CancellationToken = cancellation },
                async (index, token) => await run.OnConnectionWithRetriesAsync($"indexing the copy of {index.Model}", async (connection, step) =>
                {
                    await Sql.ExecuteAsync(connection, null, "set maintenance_work_mem = '256MB'", step);
                    await Sql.ExecuteAsync(connection, null, index.Statement, step);
                }, token));
            foreach (var (model, key) in keying)
            {
                await run.OnConnectionWithRetriesAsync($"keying the copy of {model}",
                    (connection, step) => Sql.ExecuteAsync(connection, null, key, step), cancellation);
            }

            await run.WithRetriesAsync("switching to the rebuilt tables", async () =>
            {
                await using var connection = await run.DataSource.OpenConnectionAsync(cancellation);
                await using var transaction = await connection.BeginTransactionAsync(cancellation);
                await run.HoldWritersAsync(connection, transaction, cancellation);
                var late = await run.ReplayPastMarkAsync(connection, transaction, filter, mark, Apply, cancellation);
                var erased = await run.ErasedSinceAsync(connection, transaction, mark, cancellation);
                foreach (var model in models)
                {
                    await model.SwitchAsync(run, connection, transaction, erased, cancellation);
                }

                await transaction.CommitAsync(cancellation);
                run.Report("switched", total + late, total + late);
                return late;
            }, cancellation);
        }
        catch
        {
            // Leave nothing behind but the live tables, which still serve the previous version. Best effort: when the
            // database is what failed, the next rebuild drops the copies instead.
            try
            {
                await using var connection = await run.DataSource.OpenConnectionAsync(CancellationToken.None);
                foreach (var model in models)
                {
                    await Sql.ExecuteAsync(connection, null, $"drop table if exists {model.Shadow}, {StagedTimelineCopy.StagingOf(model.Shadow)}", CancellationToken.None);
                }
            }
            catch (Exception cleanup) when (cleanup is NpgsqlException or TimeoutException)
            {
                run.Logger.LogWarning(cleanup, "Could not drop the rebuild's copies; the next rebuild will");
            }

            throw;
        }
    }

    /// <summary>An empty copy of the live table (a copy left by an interrupted rebuild is dropped), and the projection into it.</summary>
    private async Task<Marten.Events.Projections.IProjection> PrepareCopyAsync(RebuildRun run, CancellationToken cancellation)
    {
        await using var connection = await run.DataSource.OpenConnectionAsync(cancellation);
        await Sql.ExecuteAsync(connection, null, $"drop table if exists {Shadow}", cancellation);
        // At most the primary key while the copy is filled (upserts need it); the other indexes are built once at the
        // end, which is several times faster than keeping them up to date row by row.
        await Sql.ExecuteAsync(connection, null, $"create table {Shadow} (like {Live} including all excluding indexes)", cancellation);
        if (keyedWhileFilled)
        {
            await Sql.ExecuteAsync(connection, null, await AddPrimaryKeyAsync(connection, cancellation), cancellation);
        }

        var sequence = (await OwnedSequencesAsync(connection, null, Live, cancellation)).Select(owned => owned.Sequence).FirstOrDefault();
        return projectionInto(Shadow, Live, sequence);
    }

    /// <summary>
    /// The statements that build the live table's indexes on the filled copy, under names of their own until the
    /// switch: the primary key's if it was left out while filling (as a unique index, which can be built side by side
    /// with the others, then made the key by <c>Key</c>, a quick catalog change), and, when the whole table is
    /// rebuilt, the others (a workspace's copy needs none: its rows are copied over).
    /// </summary>
    private async Task<(IReadOnlyList<string> Builds, string? Key)> CopyIndexesAsync(RebuildRun run, CancellationToken cancellation)
    {
        await using var connection = await run.DataSource.OpenConnectionAsync(cancellation);
        var indexes = await IndexesAsync(connection, null, Live, cancellation);
        var builds = indexes
            .Where(index => index.Primary ? !keyedWhileFilled : run.Workspace is null)
            .Select(index => $"create {(index.Unique ? "unique " : "")}index if not exists {index.Name}_rebuild on {Shadow}{index.Using}")
            .ToList();
        var key = keyedWhileFilled ? null : indexes.Single(index => index.Primary).Name + "_rebuild";
        return (builds, key is null ? null : $"alter table {Shadow} add constraint {key} primary key using index {key}");
    }

    /// <summary>The statement that gives the copy the live table's primary key.</summary>
    private async Task<string> AddPrimaryKeyAsync(NpgsqlConnection connection, CancellationToken cancellation)
    {
        var primaryKey = (string)(await Sql.ScalarAsync(connection, null,
            "select pg_get_constraintdef(oid) from pg_constraint where conrelid = $1::regclass and contype = 'p'", cancellation, Live))!;
        return $"alter table {Shadow} add {primaryKey}";
    }

    /// <summary>With writers held: the copy, complete up to now, replaces the live table (or the workspace's rows in it).</summary>
    private async Task SwitchAsync(RebuildRun run, NpgsqlConnection connection, NpgsqlTransaction transaction, bool erasedSinceMark, CancellationToken cancellation)
    {
        if (erasedSinceMark && recountAfterErasure is not null)
        {
            // Counts without users: recounted from rows that are per user (switched before this table), ADR 0016.
            await recountAfterErasure(connection, transaction, Shadow, run.Workspace, cancellation);
        }
        else if (erasedSinceMark)
        {
            // A user erased while the copy was filled may have left rows in it: keep only rows of timelines that exist.
            await Sql.ExecuteAsync(connection, transaction,
                $"delete from {Shadow} r where not exists (select 1 from {EventLog.Streams} s where s.tenant_id = r.tenant_id and s.id = r.timeline_id)", cancellation);
        }

        if (run.Workspace is null)
        {
            await SwapAsync(connection, transaction, cancellation);
        }
        else
        {
            await Sql.ExecuteAsync(connection, transaction, $"delete from {Live} where tenant_id = $1", cancellation, run.Workspace);
            await Sql.ExecuteAsync(connection, transaction, $"insert into {Live} select * from {Shadow}", cancellation);
            await Sql.ExecuteAsync(connection, transaction, $"drop table {Shadow}", cancellation);
        }
    }

    /// <summary>
    /// The copy becomes the table: the live table's sequence moves to the copy, the live table is dropped, and the
    /// copy and its indexes take the live names, so that the schema is exactly what migrations expect.
    /// </summary>
    private async Task SwapAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellation)
    {
        var liveNames = (await IndexesAsync(connection, transaction, Live, cancellation)).ToDictionary(i => i.Shape, i => i.Name, StringComparer.Ordinal);
        var copyIndexes = await IndexesAsync(connection, transaction, Shadow, cancellation);
        foreach (var (sequence, column) in await OwnedSequencesAsync(connection, transaction, Live, cancellation))
        {
            await Sql.ExecuteAsync(connection, transaction, $"alter sequence {sequence} owned by {Shadow}.{column}", cancellation);
        }

        await Sql.ExecuteAsync(connection, transaction, $"drop table {Live}", cancellation);
        await Sql.ExecuteAsync(connection, transaction, $"alter table {Shadow} rename to {table}", cancellation);
        foreach (var index in copyIndexes)
        {
            if (liveNames.TryGetValue(index.Shape, out var liveName) && liveName != index.Name)
            {
                await Sql.ExecuteAsync(connection, transaction, $"alter index {Schema}.{index.Name} rename to {liveName}", cancellation);
            }
        }
    }

    /// <summary>One index of a table: its name, and its shape ("USING btree (tenant_id, event_id)"), which names do not change.</summary>
    private sealed record TableIndex(string Name, bool Primary, bool Unique, string Using)
    {
        public string Shape => (Unique ? "UNIQUE " : "") + Using;
    }

    private static Task<List<TableIndex>> IndexesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, CancellationToken cancellation) =>
        Sql.ListAsync(connection, transaction,
            "select c.relname, i.indisprimary, i.indisunique, pg_get_indexdef(i.indexrelid) from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = $1::regclass",
            reader =>
            {
                // "CREATE [UNIQUE] INDEX name ON schema.table USING btree (...)"
                var definition = reader.GetString(3);
                return new TableIndex(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), definition[definition.IndexOf(" USING ", StringComparison.Ordinal)..]);
            },
            cancellation, table);

    /// <summary>The sequences a table's columns own (a <c>bigserial</c>'s), with their column.</summary>
    private static Task<List<(string Sequence, string Column)>> OwnedSequencesAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, CancellationToken cancellation) =>
        Sql.ListAsync(connection, transaction,
            "select s.oid::regclass::text, a.attname from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S' " +
            "join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid where d.refobjid = $1::regclass and d.deptype = 'a'",
            reader => (reader.GetString(0), reader.GetString(1)), cancellation, table);
}

/// <summary>
/// A write-side snapshot Marten keeps as a document per stream (<see cref="UserTimeline"/>, <see cref="EventNameCatalog"/>),
/// rebuilt in place a page of streams at a time: each page locks its streams' rows (as an append does), folds their
/// events with the projection's own Create/Apply methods and replaces the documents, so the write side always
/// reads a complete snapshot and an append to one of those streams waits for the page to commit.
/// </summary>
public sealed class SnapshotReadModel<T>(string name, string description, string documentTable, string streamType,
    IReadOnlyList<Type> eventTypes, Func<T?, object, T?> fold)
    : ReadModel(name, description, eventTypes)
    where T : class
{
    private string Documents => $"{EventStoreSchema.SchemaName}.{documentTable}";

    public override async Task RebuildAsync(RebuildRun run, CancellationToken cancellation)
    {
        var filter = EventFilter.For(EventTypes, run.Workspace);
        long total, done = 0;
        await using (var connection = await run.DataSource.OpenConnectionAsync(cancellation))
        {
            total = (long)(await Sql.ScalarAsync(connection, null,
                $"select count(*) from {EventLog.Streams} where type = $1 and ($2::varchar is null or tenant_id = $2)", cancellation,
                streamType, run.Workspace) ?? 0L);
        }

        run.Report("replaying", 0, total);
        // One scan of the log in stream order feeds every page: reading each page's streams by index instead visits
        // the whole log once per page, since a stream's events are spread over all of it.
        var streamsPerPage = Math.Max(1, run.Options.PageSize / 10);
        var page = new List<StreamEvents>(streamsPerPage);
        await using (var scanning = await run.DataSource.OpenConnectionAsync(cancellation))
        {
            await foreach (var stream in run.Log.ScanStreamsAsync(scanning, filter, streamType, cancellation))
            {
                page.Add(stream);
                if (page.Count == streamsPerPage)
                {
                    done += await RebuildPageAsync(run, filter, page, cancellation);
                    run.Report("replaying", done, Math.Max(done, total));
                    page.Clear();
                }
            }
        }

        if (page.Count > 0)
        {
            done += await RebuildPageAsync(run, filter, page, cancellation);
        }

        // Documents without a stream (a user erased) have nothing to be rebuilt from; nor have those of streams without
        // any of these events, which only a scan that found fewer streams than were counted can have missed.
        await using (var connection = await run.DataSource.OpenConnectionAsync(cancellation))
        {
            await Sql.ExecuteAsync(connection, null,
                $"delete from {Documents} d where ($1::varchar is null or d.tenant_id = $1) and not exists " +
                $"(select 1 from {EventLog.Streams} s where s.tenant_id = d.tenant_id and s.id = d.id)", cancellation, run.Workspace);
            if (done < total)
            {
                await Sql.ExecuteAsync(connection, null,
                    $"delete from {Documents} d where ($1::varchar is null or d.tenant_id = $1) and not exists " +
                    $"(select 1 from {EventLog.Events} e where e.tenant_id = d.tenant_id and e.stream_id = d.id and e.type = any($2))",
                    cancellation, run.Workspace, filter.TypeNames);
            }
        }

        run.Report("switched", done, Math.Max(done, total));
    }

    /// <summary>
    /// Replaces the documents of a page of scanned streams in one transaction that locks the streams' rows (as an
    /// append does); a stream that moved on since the scan is read again under the lock, one that is gone loses its
    /// document.
    /// </summary>
    private Task<int> RebuildPageAsync(RebuildRun run, EventFilter filter, IReadOnlyList<StreamEvents> page, CancellationToken cancellation) =>
        run.WithRetriesAsync($"streams from {page[0].Workspace}/{page[0].Stream}", async () =>
        {
            var serializer = run.Store.Options.Serializer();
            await using var connection = await run.DataSource.OpenConnectionAsync(cancellation);
            await using var transaction = await connection.BeginTransactionAsync(cancellation);
            foreach (var workspace in page.GroupBy(s => s.Workspace))
            {
                var ids = workspace.Select(s => s.Stream).ToArray();
                var versions = (await Sql.ListAsync(connection, transaction,
                    $"select id, version from {EventLog.Streams} where tenant_id = $1 and id = any($2) order by id for update",
                    reader => (Id: reader.GetString(0), Version: reader.IsDBNull(1) ? 0 : reader.GetInt64(1)),
                    cancellation, workspace.Key, ids)).ToDictionary(s => s.Id, s => s.Version, StringComparer.Ordinal);
                var moved = workspace.Where(s => versions.TryGetValue(s.Stream, out var version) && version != s.Version)
                    .Select(s => s.Stream).ToHashSet(StringComparer.Ordinal);
                var reread = (moved.Count == 0 ? [] : await run.Log.ReadStreamsAsync(connection, transaction, filter, workspace.Key, [.. moved], cancellation))
                    .ToLookup(e => e.StreamKey!, StringComparer.Ordinal);

                var documents = new Dictionary<string, T?>(StringComparer.Ordinal);
                foreach (var stream in workspace.Where(s => versions.ContainsKey(s.Stream)))
                {
                    T? document = null;
                    foreach (var @event in moved.Contains(stream.Stream) ? reread[stream.Stream] : stream.Events)
                    {
                        document = Fold(document, @event);
                    }

                    documents[stream.Stream] = document;
                }

                var kept = documents.Where(d => d.Value is not null).Select(d => d.Key).ToArray();
                await Sql.ExecuteAsync(connection, transaction,
                    $"insert into {Documents} (tenant_id, id, data, mt_dotnet_type, mt_version, mt_last_modified) " +
                    "select $1, d.id, d.data::jsonb, $2, d.version, transaction_timestamp() from unnest($3::varchar[], $4::text[], $5::bigint[]) as d(id, data, version) " +
                    "on conflict (tenant_id, id) do update set data = excluded.data, mt_dotnet_type = excluded.mt_dotnet_type, " +
                    "mt_version = excluded.mt_version, mt_last_modified = excluded.mt_last_modified",
                    cancellation, workspace.Key, typeof(T).FullName!, kept,
                    kept.Select(id => serializer.ToJson(documents[id]!)).ToArray(), kept.Select(id => versions[id]).ToArray());
                var dropped = ids.Where(id => documents.GetValueOrDefault(id) is null).ToArray();
                if (dropped.Length > 0)
                {
                    await Sql.ExecuteAsync(connection, transaction, $"delete from {Documents} where tenant_id = $1 and id = any($2)", cancellation, workspace.Key, dropped);
                }
            }

            await transaction.CommitAsync(cancellation);
            return page.Count;
        }, cancellation);

    private T? Fold(T? current, IEvent @event)
    {
        try
        {
            return fold(current, @event.Data);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new RebuildFailedException(
                $"Event {@event.Id} (sequence {@event.Sequence}, stream {@event.StreamKey}, workspace {@event.TenantId}) cannot be applied to {Name}: {exception.Message}",
                new FaultedEvent(@event.Sequence, @event.Id, @event.StreamKey, @event.TenantId), exception);
        }
    }
}

/// <summary>
/// A projection into a table of our own (<see cref="TableReadModel"/>), written in the events' transaction: by Marten for
/// the streams it appends, by the group commit for its set-based appends (<c>TrackedEventAppends</c>), by a rebuild into a copy.
/// </summary>
public interface ITableProjection : Marten.Events.Projections.IProjection
{
    /// <summary>Queues the rows of <paramref name="events"/> on the session, in one statement; reads nothing.</summary>
    void Queue(IDocumentOperations operations, IReadOnlyList<IEvent> events);
}

/// <summary>A projection whose rebuild folds pages in memory and writes the folded rows now and then (<see cref="TableReadModel"/>).</summary>
public interface IAccumulatedCopy : Marten.Events.Projections.IProjection
{
    /// <summary>Rows folded and not written yet.</summary>
    int Pending { get; }

    void Accumulate(IReadOnlyList<IEvent> events);

    void QueueWrite(IDocumentOperations operations);

    void Clear();
}

/// <summary>
/// A projection in a rebuild's bulk pass: pages are folded in memory with the projection's own fold (<paramref name="fold"/>)
/// and written with its own upsert (<paramref name="write"/>) when many keys are pending and at the end, instead of
/// upserting every page into a table whose rows each page updates again. Folding happens once a page's other writes
/// have committed, so a retried page is never folded twice. Outside the bulk pass it is the projection.
/// </summary>
public sealed class AccumulatedCopy<TKey, TValue>(Marten.Events.Projections.IProjection projection,
    Action<IReadOnlyList<IEvent>, Dictionary<TKey, TValue>> fold, Action<IDocumentOperations, IReadOnlyDictionary<TKey, TValue>> write)
    : IAccumulatedCopy
    where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> folded = [];

    public int Pending => folded.Count;

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation) =>
        projection.ApplyAsync(operations, events, cancellation);

    public void Accumulate(IReadOnlyList<IEvent> events) => fold(events, folded);

    public void QueueWrite(IDocumentOperations operations) => write(operations, folded);

    public void Clear() => folded.Clear();
}
