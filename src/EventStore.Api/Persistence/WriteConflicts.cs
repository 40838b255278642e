using JasperFx;
using JasperFx.Events;
using Marten.Exceptions;
using Npgsql;

namespace EventStore.Api.Persistence;

/// <summary>Thrown when state read to decide a command changed before the decision was written.</summary>
public sealed class WriteConflictException(string message) : Exception(message);

/// <summary>
/// Optimistic concurrency, resolved inside the service: when two commands raced on the same user, name
/// or occurrence key, the loser's transaction is rolled back and the command is decided again on fresh
/// state (the retry then sees, for example, that its event is a duplicate). Clients never see these.
/// </summary>
public static class WriteConflicts
{
    public const int MaxAttempts = 10;

    /// <summary>The SQLSTATE of Marten's <c>mt_quick_append_events</c> when the expected stream version is not the stored one.</summary>
    private const string MartenStreamVersionMismatch = "MT003";

    /// <summary>Runs <paramref name="attempt"/> again after each conflict, counting it for <paramref name="workspace"/>.</summary>
    public static async Task<T> RetryAsync<T>(string workspace, Func<Task<T>> attempt, CancellationToken cancellation)
    {
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt();
            }
            catch (Exception e) when (tries < MaxAttempts && KindOf(e) is { } kind)
            {
                Retried(workspace, kind);
                // Jittered back-off so that racing commands do not collide again in lockstep.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * tries)), cancellation);
            }
        }
    }

    /// <summary>Counts a conflict that is about to be resolved by deciding again (<c>eventstore.write.conflicts</c>).</summary>
    public static void Retried(string workspace, string kind) => Telemetry.EventStoreMetrics.ConflictRetried(workspace, kind);

    /// <summary>
    /// The database could not be reached or dropped the connection: the request may be retried later (503),
    /// and a group commit must not be split to find a culprit, since no command is at fault.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException or ConnectionBrokenException)
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsConflict(Exception exception) => KindOf(exception) is not null;

    /// <summary>What two writers raced on (the <c>kind</c> of <c>eventstore.write.conflicts</c>), or null when it is no conflict.</summary>
    public static string? KindOf(Exception exception)
    {
        // PostgreSQL's own error says best what was raced on; Marten's exceptions wrap it, or stand alone.
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique:
                    return unique.ConstraintName switch
                    {
                        { } name when name.Contains("occurrence_keys", StringComparison.Ordinal) => "duplicate_event",
                        { } name when name.StartsWith("uq_timeline_", StringComparison.Ordinal) => "identity",
                        { } name when name.Contains("mt_streams", StringComparison.Ordinal) => "new_stream",
                        { } name when name.Contains("mt_events", StringComparison.Ordinal) => "stream_version",
                        _ => "unique_key",
                    };
                case PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected }:
                    return "deadlock";
                case PostgresException { SqlState: PostgresErrorCodes.SerializationFailure }:
                    return "serialization";
                // Marten's append function, finding a stream moved on since it was read, raises its own code
                // (before Marten wraps it as a version conflict, which is when its failure log sees it).
                case PostgresException { SqlState: MartenStreamVersionMismatch }:
                    return "stream_version";
                // A group decided on the node's copy of its users and names found the copy out of date (Tracking/KnownStateCheck.cs).
                case PostgresException { SqlState: Tracking.KnownStateCheck.SqlState }:
                    return "known_state";
                // An append that waited on the stream row of a timeline being erased (ADR 0010): the stream is gone.
                case PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation, TableName: "mt_events" }:
                    return "erased_timeline";
            }
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case Marten.Exceptions.ExistingStreamIdCollisionException or JasperFx.Events.ExistingStreamIdCollisionException or DocumentAlreadyExistsException:
                    return "new_stream";
                case ConcurrencyException or EventStreamUnexpectedMaxEventIdException or WriteConflictException:
                    return "stream_version";
            }
        }

        return null;
    }
}

/// <summary>The connection to PostgreSQL broke while a transaction was open on it: an outage, not a fault of the request.</summary>
public sealed class ConnectionBrokenException(Exception inner) : Exception("The connection to PostgreSQL broke during a transaction", inner);
