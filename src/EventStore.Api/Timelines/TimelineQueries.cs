using Npgsql;

namespace EventStore.Api.Timelines;

/// <summary>One event of a timeline as stored in <c>timeline_entries</c>.</summary>
public sealed record TimelineEntry(Guid EventId, string Name, long CreatedAt, long Seq, string MetadataJson);

/// <summary>A keyset position walking back in time: (created_at, seq) of the last entry served.</summary>
public readonly record struct TimePosition(long CreatedAt, long Seq);

/// <summary>
/// A position in arrival order: entries of transactions up to <see cref="Tx"/> (and, within it, up to
/// <see cref="Seq"/>) have been served. Only transactions older than every one still running are read,
/// so an event committed late by a slow transaction is never stepped over.
/// </summary>
public readonly record struct ArrivalPosition(long Tx, long Seq) : IComparable<ArrivalPosition>
{
    public int CompareTo(ArrivalPosition other) => Tx != other.Tx ? Tx.CompareTo(other.Tx) : Seq.CompareTo(other.Seq);
}

public sealed record TimelinePage(IReadOnlyList<TimelineEntry> Entries, TimePosition? Next, ArrivalPosition Since);

/// <summary>The SQL of timeline reads; each query is served by one of the two indexes of <c>timeline_entries</c>.</summary>
public static class TimelineQueries
{
    private static readonly string Table = TimelineProjection.Table.QualifiedName;

    // Everything from transactions that were complete when the page was read has been seen or is older than it.
    private const string Horizon = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

    internal static readonly string NewestSql =
        $"select event_id, name, created_at, seq, metadata::text, {Horizon} from {Table} " +
        "where tenant_id = $1 and timeline_id = $2 order by created_at desc, seq desc limit $3";

    internal static readonly string BeforeSql =
        $"select event_id, name, created_at, seq, metadata::text, {Horizon} from {Table} " +
        "where tenant_id = $1 and timeline_id = $2 and (created_at, seq) < ($4, $5) order by created_at desc, seq desc limit $3";

    internal static readonly string SinceSql =
        $"select event_id, name, created_at, seq, metadata::text, {Horizon}, tx::text::bigint as arrival_tx from {Table} " +
        $"where tenant_id = $1 and timeline_id = $2 and (tx, seq) > ($4::text::xid8, $5) and tx < pg_snapshot_xmin(pg_current_snapshot()) " +
        "order by tx, seq limit $3";

    public static Task<TimelinePage> NewestAsync(NpgsqlDataSource dataSource, string workspace, string timelineId, int perPage, CancellationToken cancellation) =>
        ReadBackAsync(dataSource, NewestSql, workspace, timelineId, perPage, cancellation);

    public static Task<TimelinePage> BeforeAsync(NpgsqlDataSource dataSource, string workspace, string timelineId, long createdAt, long seq, int perPage, CancellationToken cancellation) =>
        ReadBackAsync(dataSource, BeforeSql, workspace, timelineId, perPage, cancellation, createdAt, seq);

    /// <summary>Entries that arrived after a position, oldest arrival first, for clients polling forward.</summary>
    public static async Task<TimelinePage> SinceAsync(NpgsqlDataSource dataSource, string workspace, string timelineId, ulong tx, long seq, int perPage, CancellationToken cancellation)
    {
        await using var command = dataSource.CreateCommand(SinceSql);
        command.Parameters.AddWithValue(workspace);
        command.Parameters.AddWithValue(timelineId);
        command.Parameters.AddWithValue(perPage);
        command.Parameters.AddWithValue(tx.ToString(System.Globalization.CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue(seq);
        var entries = new List<TimelineEntry>();
        long? horizon = null;
        var last = new ArrivalPosition((long)tx, seq);
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            while (await reader.ReadAsync(cancellation))
            {
                entries.Add(Read(reader));
                horizon ??= reader.GetInt64(5);
                last = new ArrivalPosition(reader.GetInt64(6), reader.GetInt64(3));
            }
        }

        // A full page continues from its last entry; a short one has read every complete transaction.
        horizon ??= await HorizonAsync(dataSource, cancellation);
        var complete = new ArrivalPosition(horizon.Value - 1, long.MaxValue);
        var since = entries.Count == perPage || complete.CompareTo(last) < 0 ? last : complete;
        return new TimelinePage(entries, null, since);
    }

    private static async Task<TimelinePage> ReadBackAsync(NpgsqlDataSource dataSource, string sql, string workspace, string timelineId, int perPage, CancellationToken cancellation, params long[] position)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(workspace);
        command.Parameters.AddWithValue(timelineId);
        command.Parameters.AddWithValue(perPage + 1);
        foreach (var value in position)
        {
            command.Parameters.AddWithValue(value);
        }

        var entries = new List<TimelineEntry>();
        long? horizon = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            while (await reader.ReadAsync(cancellation))
            {
                entries.Add(Read(reader));
                horizon ??= reader.GetInt64(5);
            }
        }

        var more = entries.Count > perPage;
        if (more)
        {
            entries.RemoveAt(entries.Count - 1);
        }

        var next = more ? new TimePosition(entries[^1].CreatedAt, entries[^1].Seq) : (TimePosition?)null;
        var since = new ArrivalPosition((horizon ?? await HorizonAsync(dataSource, cancellation)) - 1, long.MaxValue);
        return new TimelinePage(entries, next, since);
    }

    private static async Task<long> HorizonAsync(NpgsqlDataSource dataSource, CancellationToken cancellation)
    {
        await using var command = dataSource.CreateCommand($"select {Horizon}");
        return (long)(await command.ExecuteScalarAsync(cancellation))!;
    }

    private static TimelineEntry Read(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4));
}
