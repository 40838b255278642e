using Npgsql;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// Holds back every commit that stores an event (a transaction of the test locks the event log) until released:
/// requests that reach the store queue behind it, so a test can act while they wait (hang up, stop the service,
/// send a retry) and know they have not committed yet. Disposing releases the hold if the test did not.
/// </summary>
public sealed class HeldCommits : IAsyncDisposable
{
    private readonly string connectionString;
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;
    private bool released;

    private HeldCommits(string connectionString, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        this.connectionString = connectionString;
        this.connection = connection;
        this.transaction = transaction;
    }

    public static async Task<HeldCommits> HoldAsync(string connectionString)
    {
        var connection = await Database.OpenAsync(connectionString);
        var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await Database.ScalarOnAsync<object>(connection, "lock table eventstore.mt_events in exclusive mode");
        return new HeldCommits(connectionString, connection, transaction);
    }

    public static Task<HeldCommits> HoldAsync(ApiFixture api) => HoldAsync(api.ConnectionString);

    /// <summary>Polls until at least <paramref name="count"/> of the service's transactions wait for the hold (at most 30 s).</summary>
    public Task WaitForWaitersAsync(int count = 1) =>
        Waits.Until(async () => await Database.WaitingOnLocksAsync(connectionString) >= count,
            TimeSpan.FromSeconds(30), $"{count} commit(s) to wait for the held event log");

    public async Task ReleaseAsync()
    {
        if (!released)
        {
            released = true;
            await transaction.RollbackAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
