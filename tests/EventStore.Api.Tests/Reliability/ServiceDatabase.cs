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
        DataSource = NpgsqlDataSource.Create(connectionString);
        Store = DocumentStore.For(options =>
        {
            EventStoreSchema.Configure(options, DataSource);
            options.AutoCreateSchemaObjects = JasperFx.AutoCreate.None;
        });
    }

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
