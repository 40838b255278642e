using Npgsql;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// Plain SQL on a fixture's own database, for the storage helpers of this folder (<see cref="StoredEvents"/>,
/// <see cref="ReadModelRows"/>, <see cref="TimelineTraces"/>, <see cref="HeldCommits"/>, <see cref="CommitFailures"/>):
/// tests say what they look at or break through those, so that a change of storage is made there, once.
/// </summary>
public static class Database
{
    public static NpgsqlDataSource DataSource(this ApiFixture api) =>
        (NpgsqlDataSource)api.Host.Services.GetService(typeof(NpgsqlDataSource))!;

    public static Task ExecuteAsync(this ApiFixture api, string sql, params object[] parameters) =>
        ExecuteAsync(api.ConnectionString, sql, parameters);

    public static async Task ExecuteAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = CommandOn(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(this ApiFixture api, string sql, params object[] parameters) =>
        await ScalarAsync<T>(api.ConnectionString, sql, parameters);

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync(connectionString);
        return await ScalarOnAsync<T>(connection, sql, parameters);
    }

    /// <summary>A scalar on a connection the test holds (for example inside a transaction it keeps open).</summary>
    public static async Task<T> ScalarOnAsync<T>(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = CommandOn(connection, sql, parameters);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Every row of a one-column query.</summary>
    public static Task<IReadOnlyList<T>> ListAsync<T>(this ApiFixture api, string sql, params object[] parameters) =>
        ListAsync<T>(api.ConnectionString, sql, parameters);

    public static async Task<IReadOnlyList<T>> ListAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = CommandOn(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add(reader.GetFieldValue<T>(0));
        }

        return rows;
    }

    public static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>
    /// Backends of this database (other than the caller) waiting on a lock, optionally only those whose statement
    /// contains <paramref name="statement"/>: how a test sees that the service got as far as a lock it holds.
    /// </summary>
    public static Task<long> WaitingOnLocksAsync(string connectionString, string? statement = null) =>
        ScalarAsync<long>(connectionString,
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' " +
            "and pid <> pg_backend_pid() and ($1 = '' or strpos(lower(query), lower($1)) > 0)",
            statement ?? "");

    private static NpgsqlCommand CommandOn(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }
}
