using EventStore.Api.Operations;
using Npgsql;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The lock a rebuild of a projection holds, taken by the test as if another node or the command line were
/// rebuilding it: a PostgreSQL advisory lock, class <c>0x45565354</c> ("EVST"), key the projection's place in
/// <see cref="ReadModels.All"/>. Released when disposed.
/// </summary>
public sealed class RebuildLocks : IAsyncDisposable
{
    private const int LockClass = 0x45565354;
    private readonly NpgsqlConnection connection;

    private RebuildLocks(NpgsqlConnection connection) => this.connection = connection;

    public static async Task<RebuildLocks> HoldAsync(ApiFixture api, string projection)
    {
        var index = ReadModels.All.Select(m => m.Name).ToList().IndexOf(projection);
        index.ShouldBeGreaterThanOrEqualTo(0, $"no projection named {projection}");
        var connection = await Database.OpenAsync(api.ConnectionString);
        await Database.ScalarOnAsync<object>(connection, "select pg_advisory_lock($1, $2)", LockClass, index);
        return new RebuildLocks(connection);
    }

    public async ValueTask DisposeAsync() => await connection.DisposeAsync();
}
