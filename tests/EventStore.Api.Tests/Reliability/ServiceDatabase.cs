using EventStore.Api.Persistence;
using EventStore.Api.Tests.Infrastructure;
using Marten;
using Npgsql;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// A database of its own for services run as processes, read directly with the service's own Marten mapping
/// (rather than through the API under test) and with plain SQL.
/// </summary>
public sealed class ServiceDatabase : IAsyncDisposable
{
    private ServiceDatabase(string connectionString)
    {
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = ApplicationName }.ConnectionString);
        Store = DocumentStore.For(options =>
        {
            EventStoreSchema.Configure(options, DataSource);
            options.AutoCreateSchemaObjects = JasperFx.AutoCreate.None;
        });
    }

    /// <summary>The <c>application_name</c> of the test's own connections, to tell them from the services' in <c>pg_stat_activity</c>.</summary>
    public const string ApplicationName = "eventstore-tests";

    /// <summary>The database for the services under test (the test's own reads use <see cref="DataSource"/>).</summary>
    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public DocumentStore Store { get; }

    public static async Task<ServiceDatabase> CreateAsync(PostgresServer postgres, string name) =>
        new(await postgres.CreateDatabaseAsync(name));

    public async ValueTask DisposeAsync()
    {
        Store.Dispose();
        await DataSource.DisposeAsync();
    }
}
