using Npgsql;

namespace EventStore.Api.Persistence;

/// <summary>
/// Plain SQL on an open connection (and transaction, when given), with positional parameters (<c>$1</c>, <c>$2</c>…):
/// for the places that work below Marten (erasure, rebuilds, job records). A null parameter is sent as SQL null.
/// </summary>
public static class Sql
{
    public static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellation, params object?[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellation);
    }

    /// <summary>The first column of the first row, or null (no row, or SQL null).</summary>
    public static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellation, params object?[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellation);
        return value is DBNull ? null : value;
    }

    /// <summary>Every row, each read by <paramref name="read"/>.</summary>
    public static async Task<List<T>> ListAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, Func<NpgsqlDataReader, T> read,
        CancellationToken cancellation, params object?[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellation))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Every row of one statement on a pooled connection, held only while the statement runs.</summary>
    public static async Task<List<T>> ListAsync<T>(NpgsqlDataSource dataSource, string sql, Func<NpgsqlDataReader, T> read,
        CancellationToken cancellation, params object?[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        return await ListAsync(connection, null, sql, read, cancellation, parameters);
    }

    /// <summary>The first column of the first row, or null, on a pooled connection held only while the statement runs.</summary>
    public static async Task<object?> ScalarAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellation, params object?[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellation);
        return await ScalarAsync(connection, null, sql, cancellation, parameters);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return command;
    }
}
