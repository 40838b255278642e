namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// Makes PostgreSQL fail every transaction that stores an event of one user (a trigger on the event log), for as
/// long as the test holds it: a failure at commit time, with real PostgreSQL, that no validation can foresee.
/// Either an error (a statement that fails) or a write conflict (the unique violation of a racing duplicate,
/// which the service decides again, again and again). Disposing removes it.
/// </summary>
public sealed class CommitFailures : IAsyncDisposable
{
    private readonly string connectionString;
    private readonly string name;

    private CommitFailures(string connectionString, string name)
    {
        this.connectionString = connectionString;
        this.name = name;
    }

    /// <summary>Every transaction storing an event of <paramref name="userId"/> fails with an error that is no conflict.</summary>
    public static Task<CommitFailures> FailEveryCommitOf(string connectionString, string userId) =>
        InjectAsync(connectionString, userId, "errcode = 'P0001', message = 'injected failure'");

    public static Task<CommitFailures> FailEveryCommitOf(ApiFixture api, string userId) => FailEveryCommitOf(api.ConnectionString, userId);

    /// <summary>Every transaction storing an event of <paramref name="userId"/> fails as if a racing writer had stored it first.</summary>
    public static Task<CommitFailures> ConflictWithEveryCommitOf(ApiFixture api, string userId) =>
        InjectAsync(api.ConnectionString, userId, "errcode = 'unique_violation', constraint = 'pkey_occurrence_keys_tenant_id_id', message = 'injected conflict'");

    public async ValueTask DisposeAsync()
    {
        await using var connection = await Database.OpenAsync(connectionString);
        await Database.ScalarOnAsync<object>(connection, $"drop trigger if exists {name} on eventstore.mt_events; drop function if exists public.{name}();");
    }

    private static async Task<CommitFailures> InjectAsync(string connectionString, string userId, string raise)
    {
        var name = $"injected_{Guid.NewGuid():N}";
        // The user id is a literal of the trigger's condition: a test's own constant, never client input.
        var user = userId.Replace("'", "''", StringComparison.Ordinal);
        await using var connection = await Database.OpenAsync(connectionString);
        await Database.ScalarOnAsync<object>(connection,
            $"create function public.{name}() returns trigger language plpgsql as $$ begin raise exception using {raise}; end $$; " +
            $"create trigger {name} before insert on eventstore.mt_events for each row when (new.data ->> 'UserId' = '{user}') execute function public.{name}();");
        return new CommitFailures(connectionString, name);
    }
}
