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

    public static async Task<T> RetryAsync<T>(Func<Task<T>> attempt, CancellationToken cancellation)
    {
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt();
            }
            catch (Exception e) when (tries < MaxAttempts && IsConflict(e))
            {
                // Jittered back-off so that racing commands do not collide again in lockstep.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * tries)), cancellation);
            }
        }
    }

    /// <summary>
    /// The database could not be reached or dropped the connection: the request may be retried later (503),
    /// and a group commit must not be split to find a culprit, since no command is at fault.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException)
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsConflict(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ConcurrencyException or DocumentAlreadyExistsException or WriteConflictException
                    or Marten.Exceptions.ExistingStreamIdCollisionException or JasperFx.Events.ExistingStreamIdCollisionException
                    or EventStreamUnexpectedMaxEventIdException:
                case PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected }:
                // An append that waited on the stream row of a timeline being erased (ADR 0010): the stream is gone.
                case PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation, TableName: "mt_events" }:
                    return true;
            }
        }

        return false;
    }
}
