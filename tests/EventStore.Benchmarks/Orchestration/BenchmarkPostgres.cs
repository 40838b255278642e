using EventStore.LocalPostgres;
using Npgsql;

namespace EventStore.Benchmarks.Orchestration;

/// <summary>
/// The PostgreSQL server under test: a private ephemeral cluster under /tmp started from the machine's binaries, or
/// the server named by <c>--connection</c>. Each scenario gets a database of its own, created empty.
/// </summary>
internal sealed class BenchmarkPostgres : IAsyncDisposable
{
    // 128 harness connections for baseline A plus the API's pool of 100 must fit.
    private static readonly Dictionary<string, string> PrivateServerSettings = new()
    {
        ["max_connections"] = "300",
        ["shared_buffers"] = "512MB",
    };

    private readonly LocalPostgresCluster? _cluster;
    private readonly string _adminConnectionString;

    private BenchmarkPostgres(LocalPostgresCluster? cluster, string adminConnectionString, string description)
    {
        _cluster = cluster;
        _adminConnectionString = adminConnectionString;
        Description = description;
    }

    public string Description { get; }

    public static async Task<BenchmarkPostgres> StartAsync(string? connection, CancellationToken cancellation)
    {
        if (connection is not null)
        {
            var builder = new NpgsqlConnectionStringBuilder(connection);
            foreach (var host in (builder.Host ?? "localhost").Split(','))
            {
                LoopbackPorts.EnsureLocalHost(host.Trim());
            }

            return new BenchmarkPostgres(null, connection, "existing server given with --connection (its own settings)");
        }

        var cluster = await LocalPostgresCluster.StartAsync(
            new LocalPostgresOptions
            {
                DataDirectory = Path.Combine(Path.GetTempPath(), "eventstore-bench-pg-" + Guid.NewGuid().ToString("N")[..8]),
                Ephemeral = true,
                Database = "postgres",
                ServerSettings = PrivateServerSettings,
                Log = line => Console.WriteLine($"  [postgres] {line}"),
            },
            cancellation);
        var settings = string.Join(", ", PrivateServerSettings.Select(s => $"{s.Key}={s.Value}"));
        return new BenchmarkPostgres(cluster, cluster.ConnectionString, $"private ephemeral cluster under /tmp, defaults except {settings} (fsync on)");
    }

    /// <summary>Drops the named database if a previous run left it, creates it empty and returns its connection string.</summary>
    public async Task<string> CreateFreshDatabaseAsync(string name, CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync(cancellation);
        await using (var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", connection))
        {
            await drop.ExecuteNonQueryAsync(cancellation);
        }

        await using (var create = new NpgsqlCommand($"create database \"{name}\"", connection))
        {
            await create.ExecuteNonQueryAsync(cancellation);
        }

        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name }.ConnectionString;
    }

    public async Task<string> VersionAsync(CancellationToken cancellation)
    {
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync(cancellation);
        await using var command = new NpgsqlCommand("select version()", connection);
        return (string)(await command.ExecuteScalarAsync(cancellation))!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
