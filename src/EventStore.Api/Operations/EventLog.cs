using System.Runtime.CompilerServices;
using EventStore.Api.Persistence;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace EventStore.Api.Operations;

/// <summary>An event that could not be read back or projected: what an operator needs to find it.</summary>
public sealed record FaultedEvent(long Sequence, Guid EventId, string? Stream, string? Workspace);

/// <summary>A rebuild step failed; <see cref="Event"/> names the event when one event is the cause.</summary>
public sealed class RebuildFailedException(string message, FaultedEvent? @event, Exception? inner = null) : Exception(message, inner)
{
    public FaultedEvent? Event { get; } = @event;
}

/// <summary>
/// Reads <c>mt_events</c> for rebuilds with plain SQL (keyset on the sequence, only the event types a projection
/// handles) and turns the rows back into Marten events with Marten's own serializer, so a rebuild feeds the
/// projections exactly what the inline path fed them.
/// </summary>
public sealed class EventLog(IDocumentStore store)
{
    public const string Events = $"{EventStoreSchema.SchemaName}.mt_events";
    public const string Streams = $"{EventStoreSchema.SchemaName}.mt_streams";

    private const string Columns = "seq_id, id, stream_id, version, type, data, tenant_id, timestamp";

    private readonly ISerializer serializer = store.Options.Serializer();

    /// <summary>Events with a sequence in (<paramref name="after"/>, <paramref name="upTo"/>], oldest first, at most <paramref name="limit"/>.</summary>
    public Task<List<IEvent>> ReadRangeAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, EventFilter filter,
        long after, long upTo, int limit, CancellationToken cancellation) =>
        ReadAsync(connection, transaction, filter,
            "seq_id > $1 and seq_id <= $2", [after, upTo], $"order by seq_id limit {limit}", cancellation);

    /// <summary>Events with a sequence above <paramref name="after"/> or in <paramref name="sequences"/>, oldest first.</summary>
    public Task<List<IEvent>> ReadLateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, EventFilter filter,
        long after, long[] sequences, CancellationToken cancellation) =>
        ReadAsync(connection, transaction, filter,
            "(seq_id > $1 or seq_id = any($2))", [after, sequences], "order by seq_id", cancellation);

    /// <summary>The events of the given streams (one workspace), in stream order.</summary>
    public Task<List<IEvent>> ReadStreamsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, EventFilter filter,
        string workspace, string[] streams, CancellationToken cancellation) =>
        ReadAsync(connection, transaction, filter with { Workspace = workspace },
            "stream_id = any($1)", [streams], "order by stream_id, version", cancellation);

    /// <summary>
    /// Every stream of a type that has events the filter takes, with those events in stream order and the stream's
    /// version as of the same snapshot (so a caller can tell whether the stream moved on since), streamed from one
    /// scan of the log in stream order.
    /// </summary>
    public async IAsyncEnumerable<StreamEvents> ScanStreamsAsync(NpgsqlConnection connection, EventFilter filter, string streamType,
        [EnumeratorCancellation] CancellationToken cancellation)
    {
        var columns = string.Join(", ", Columns.Split(", ").Select(c => "e." + c));
        await using var command = new NpgsqlCommand(
            $"select {columns}, s.version from {Events} e join {Streams} s on s.tenant_id = e.tenant_id and s.id = e.stream_id " +
            "where e.type = any($1) and s.type = $2 and ($3::varchar is null or e.tenant_id = $3) order by e.tenant_id, e.stream_id, e.version",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = filter.TypeNames });
        command.Parameters.Add(new NpgsqlParameter { Value = streamType });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.Workspace ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        StreamEvents? current = null;
        while (await reader.ReadAsync(cancellation))
        {
            var @event = Read(reader, filter);
            if (current is null || current.Workspace != @event.TenantId || current.Stream != @event.StreamKey)
            {
                if (current is not null)
                {
                    yield return current;
                }

                current = new StreamEvents(@event.TenantId, @event.StreamKey!, reader.GetInt64(8), []);
            }

            current.Events.Add(@event);
        }

        if (current is not null)
        {
            yield return current;
        }
    }

    private Task<List<IEvent>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, EventFilter filter,
        string condition, object[] parameters, string tail, CancellationToken cancellation)
    {
        var arguments = parameters.ToList<object?>();
        arguments.Add(filter.TypeNames);
        var sql = $"select {Columns} from {Events} where {condition} and type = any(${arguments.Count})";
        if (filter.Workspace is not null)
        {
            arguments.Add(filter.Workspace);
            sql += $" and tenant_id = ${arguments.Count}";
        }

        return Sql.ListAsync(connection, transaction, $"{sql} {tail}", reader => Read(reader, filter), cancellation, [.. arguments]);
    }

    private IEvent Read(NpgsqlDataReader reader, EventFilter filter)
    {
        var sequence = reader.GetInt64(0);
        var id = reader.GetGuid(1);
        var stream = reader.IsDBNull(2) ? null : reader.GetString(2);
        var tenant = reader.IsDBNull(6) ? null : reader.GetString(6);
        object data;
        try
        {
            data = serializer.FromJson(filter.ClrType(reader.GetString(4)), reader, 5)
                ?? throw new InvalidOperationException("The event body is null");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new RebuildFailedException(
                $"Event {id} (sequence {sequence}, stream {stream}, workspace {tenant}) cannot be read: {exception.Message}",
                new FaultedEvent(sequence, id, stream, tenant), exception);
        }

        var @event = Event.For(data);
        @event.Id = id;
        @event.Sequence = sequence;
        @event.Version = reader.GetInt64(3);
        @event.StreamKey = stream;
        @event.TenantId = tenant!;
        @event.Timestamp = reader.GetFieldValue<DateTimeOffset>(7);
        return @event;
    }
}

/// <summary>The events of one stream a scan found, and the stream's version when it was scanned.</summary>
public sealed record StreamEvents(string Workspace, string Stream, long Version, List<IEvent> Events);

/// <summary>Which events a projection reads: its event types, optionally one workspace only.</summary>
public sealed record EventFilter(IReadOnlyDictionary<string, Type> Types, string? Workspace)
{
    public string[] TypeNames => [.. Types.Keys];

    public static EventFilter For(IEnumerable<Type> types, string? workspace) =>
        new(types.ToDictionary(t => t.GetEventTypeName(), t => t, StringComparer.Ordinal), workspace);

    public Type ClrType(string typeName) => Types.TryGetValue(typeName, out var type)
        ? type
        : throw new InvalidOperationException($"Unexpected event type {typeName}");
}
