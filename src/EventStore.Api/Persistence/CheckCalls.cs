using Marten;

namespace EventStore.Api.Persistence;

/// <summary>
/// Queues the call of a check function (one that returns true or raises) among a session's writes. Marten reads the
/// results of a batch in order, so a queued command must return no result set and be a single statement: an
/// INSERT ... SELECT that calls the check once (a volatile call in a subquery is always evaluated) and, as the check
/// returns true or raises, never inserts anything.
/// </summary>
public static class CheckCalls
{
    /// <summary><paramref name="call"/> is the function call with Marten's <c>?</c> placeholders, e.g. <c>schema.check(?, ?)</c>.</summary>
    public static void Queue(IDocumentSession session, string call, params object[] parameters) =>
        session.QueueSqlCommand(
            $"insert into {ServiceSecrets.Table.QualifiedName} (name, secret) select 'never', ''::bytea from (select {call} as ok) guard where not guard.ok",
            parameters);
}
