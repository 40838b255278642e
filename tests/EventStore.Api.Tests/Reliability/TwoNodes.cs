using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// A test with two API processes (<see cref="TwoTenantService"/>: acme, globex and an operator token) on one fresh
/// database, started before each test and stopped after it.
/// </summary>
public abstract class TwoNodes(PostgresServer postgres, string database) : IAsyncLifetime
{
    protected string ConnectionString { get; private set; } = "";

    protected ApiProcess First { get; private set; } = null!;

    protected ApiProcess Second { get; private set; } = null!;

    /// <summary>Settings both processes start with, besides <see cref="TwoTenantService"/>'s.</summary>
    protected virtual IReadOnlyDictionary<string, string>? Settings => null;

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await postgres.CreateDatabaseAsync(database);
        First = await TwoTenantService.StartAsync(ConnectionString, Settings);
        Second = await TwoTenantService.StartAsync(ConnectionString, Settings);
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        await (First?.DisposeAsync() ?? ValueTask.CompletedTask);
        await (Second?.DisposeAsync() ?? ValueTask.CompletedTask);
    }
}
