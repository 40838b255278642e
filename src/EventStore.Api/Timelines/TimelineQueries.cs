using System.Globalization;
using Npgsql;

namespace EventStore.Api.Timelines;

/// <summary>One event of a timeline as stored in <c>timeline_entries</c>.</summary>
public sealed record TimelineEntry(Guid EventId, string Name, long CreatedAt, long Seq, string MetadataJson);

/// <summary>A keyset position walking back in time: (created_at, seq) of the last entry served.</summary>
public readonly record struct TimePosition(long CreatedAt, long Seq);

/// <summary>
/// A position in arrival order. Served so far: every entry visible in <see cref="Snapshot"/> (the database
/// snapshot the first page was read in), and every entry up to (<see cref="Tx"/>, <see cref="Seq"/>) in
/// (inserting transaction, seq) order. Polls only read transactions older than every one still running,
/// so an event committed late by a slow transaction is never stepped over, and one already shown on the
/// first page is never shown again.
/// </summary>
public sealed record ArrivalPosition(long Tx, long Seq, string Snapshot)
{
    public string Encode() => string.Join('|', Tx.ToString(CultureInfo.InvariantCulture), Seq.ToString(CultureInfo.InvariantCulture), Snapshot);

    public static ArrivalPosition? Decode(string text)
    {
        var parts = text.Split('|');
        return parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var tx)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            && parts[2].All(c => char.IsAsciiDigit(c) || c is ':' or ',')
                ? new ArrivalPosition(tx, seq, parts[2])
                : null;
    }

    /// <summary>The position right after a snapshot: everything visible in it has been served.</summary>
    public static ArrivalPosition After(string snapshot, long snapshotXmin) => new(snapshotXmin - 1, long.MaxValue, snapshot);
}

public sealed record TimelinePage(IReadOnlyList<TimelineEntry> Entries, TimePosition? Next, ArrivalPosition Since);

/// <summary>The SQL of timeline reads; each query is served by one of the two indexes of <c>timeline_entries</c>.</summary>
public static class TimelineQueries
{
    private static readonly string Table = TimelineProjection.Table.QualifiedName;

    // The snapshot a page is read in, and its oldest running transaction.
    private const string Snapshot = "pg_current_snapshot()::text, pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

    internal static readonly string NewestSql =
        $"select event_id, name, created_at, seq, metadata::text, {Snapshot} from {Table} " +
        "where tenant_id = $1 and timeline_id = $2 order by created_at desc, seq desc limit $3";

    internal static readonly string BeforeSql =
        $"select event_id, name, created_at, seq, metadata::text, {Snapshot} from {Table} " +
        "where tenant_id = $1 and timeline_id = $2 and (created_at, seq) < ($4, $5) order by created_at desc, seq desc limit $3";

    internal static readonly string SinceSql =
        $"select event_id, name, created_at, seq, metadata::text, {Snapshot}, tx::text::bigint as arrival_tx from {Table} " +
        "where tenant_id = $1 and timeline_id = $2 and (tx, seq) > ($4::text::xid8, $5) " +
        "and not pg_visible_in_snapshot(tx, $6::pg_snapshot) and tx < pg_snapshot_xmin(pg_current_snapshot()) " +
        "order by tx, seq limit $3";

    private const string CurrentSnapshotSql = $"select {Snapshot}";

    public static Task<TimelinePage> NewestAsync(NpgsqlDataSource dataSource, string workspace, string timelineId, int perPage, CancellationToken cancellation) =>
        ReadBackAsync(dataSource, NewestSql, workspace, timelineId, perPage, cancellation);

    public static Task<TimelinePage> BeforeAsync(NpgsqlDataSource dataSource, string workspace, string timelineId, long createdAt, long seq, int perPage, CancellationToken cancellation) =>
        ReadBackAsync(dataSource, BeforeSql, workspace, timelineId, perPage, cancellation, createdAt, seq);

    /// <summary>Entries that arrived after a position, oldest arrival first, for clients polling forward.</summary>
    public static async Task<TimelinePage> SinceAsync(NpgsqlDataSource dataSource, string workspace, string timelineId, ArrivalPosition position, int perPage, CancellationToken cancellation)
    {
        await using var batch = Batch(dataSource, SinceSql, workspace, timelineId, perPage,
            position.Tx.ToString(CultureInfo.InvariantCulture), position.Seq, position.Snapshot);
        await using var reader = await batch.ExecuteReaderAsync(cancellation);
        var earlier = await ReadSnapshotAsync(reader, cancellation);
        var entries = new List<TimelineEntry>();
        long? horizon = null;
        var last = position;
        while (await reader.ReadAsync(cancellation))
        {
            entries.Add(Read(reader));
            horizon ??= reader.GetInt64(6);
            last = position with { Tx = reader.GetInt64(7), Seq = reader.GetInt64(3) };
        }

        if (entries.Count == perPage)
        {
            return new TimelinePage(entries, null, last);
        }

        // A short page has read every transaction older than its horizon: continue from there (never move back).
        // With no row to carry the query's own snapshot, the one taken just before it is as safe: whatever had
        // finished then was visible to the query.
        horizon ??= earlier.Xmin;
        var complete = position with { Tx = horizon.Value - 1, Seq = long.MaxValue };
        return new TimelinePage(entries, null, complete.Tx > last.Tx ? complete : last);
    }

    private static async Task<TimelinePage> ReadBackAsync(NpgsqlDataSource dataSource, string sql, string workspace, string timelineId, int perPage, CancellationToken cancellation, params long[] position)
    {
        await using var batch = Batch(dataSource, sql, [workspace, timelineId, perPage + 1, .. position.Cast<object>()]);
        await using var reader = await batch.ExecuteReaderAsync(cancellation);
        var snapshot = await ReadSnapshotAsync(reader, cancellation);
        var entries = new List<TimelineEntry>();
        var first = true;
        while (await reader.ReadAsync(cancellation))
        {
            entries.Add(Read(reader));
            if (first)
            {
                snapshot = (reader.GetString(5), reader.GetInt64(6));
                first = false;
            }
        }

        var more = entries.Count > perPage;
        if (more)
        {
            entries.RemoveAt(entries.Count - 1);
        }

        var next = more ? new TimePosition(entries[^1].CreatedAt, entries[^1].Seq) : (TimePosition?)null;
        return new TimelinePage(entries, next, ArrivalPosition.After(snapshot.Text, snapshot.Xmin));
    }

    /// <summary>
    /// The page's query, preceded by a statement that takes the current snapshot. The query's rows carry the
    /// query's own snapshot; a page without rows falls back to the earlier one. A snapshot taken after the
    /// query instead could see a transaction that committed in between, which the query did not (issue 13).
    /// </summary>
    private static NpgsqlBatch Batch(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(CurrentSnapshotSql));
        var query = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters)
        {
            query.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        batch.BatchCommands.Add(query);
        return batch;
    }

    private static async Task<(string Text, long Xmin)> ReadSnapshotAsync(NpgsqlDataReader reader, CancellationToken cancellation)
    {
        await reader.ReadAsync(cancellation);
        var snapshot = (reader.GetString(0), reader.GetInt64(1));
        await reader.NextResultAsync(cancellation);
        return snapshot;
    }

    private static TimelineEntry Read(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4));
}
