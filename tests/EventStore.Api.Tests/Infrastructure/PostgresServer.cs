using EventStore.LocalPostgres;
using Npgsql;

[assembly: AssemblyFixture(typeof(EventStore.Api.Tests.Infrastructure.PostgresServer))]

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL the tests run against: the server named by <c>EVENTSTORE_TEST_POSTGRES</c> (a connection
/// string to a database the tests may create databases from), or else a private throwaway cluster
/// started from the machine's PostgreSQL binaries and removed when the tests end.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "EVENTSTORE_TEST_POSTGRES";

    private LocalPostgresCluster? cluster;

    public string AdminConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            AdminConnectionString = configured;
            return;
        }

        cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), "eventstore-tests-" + Guid.NewGuid().ToString("N")),
            Ephemeral = true,
            Database = "postgres",
            // Durability of the test server's disk is not under test; commit semantics are.
            ServerSettings = new Dictionary<string, string>
            {
                ["fsync"] = "off",
                ["full_page_writes"] = "off",
                ["max_connections"] = "300",
            },
        });
        AdminConnectionString = cluster.ConnectionString;
    }

    /// <summary>Creates an empty database for one test class and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}
