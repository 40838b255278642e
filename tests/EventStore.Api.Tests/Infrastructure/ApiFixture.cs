using Alba;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The real service (real HTTP pipeline through Alba, real Marten and Wolverine) on a database of its own,
/// shared by the tests of one class. Two workspaces, acme and globex, and an operator token are provisioned.
/// </summary>
public class ApiFixture(PostgresServer postgres) : IAsyncLifetime
{
    public const string AcmeToken = "acme-token-0123456789-0123456789-abc";
    public const string GlobexToken = "globex-token-0123456789-0123456789-abc";
    public const string AdminToken = "admin-token-0123456789-0123456789-abc";

    public IAlbaHost Host { get; private set; } = null!;

    /// <summary>The fixture's own database, for a second process (the command line) to use.</summary>
    public string ConnectionString { get; private set; } = "";

    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();

    /// <summary>Settings a test class changes (for example a smaller event-name cap).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    /// <summary>A test class's changes to its connection string (for example a smaller pool).</summary>
    protected virtual string Connection(string connectionString) => connectionString;

    /// <summary>Anything else a test class needs of the host (for example a logger provider of its own).</summary>
    protected virtual void Configure(IWebHostBuilder builder)
    {
    }

    public async ValueTask InitializeAsync()
    {
        var connectionString = Connection(await postgres.CreateDatabaseAsync(GetType().Name));
        ConnectionString = connectionString;
        Host = await AlbaHost.For<Program>(builder =>
        {
            ConfigureService(builder, connectionString, Settings);
            Configure(builder);
        });
    }

    /// <summary>The service as every test fixture runs it: Testing environment, acme, globex, an operator, quiet logs.</summary>
    internal static void ConfigureService(IWebHostBuilder builder, string connectionString, IReadOnlyDictionary<string, string> settings)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Postgres", connectionString);
        builder.UseSetting("Workspaces:0:Id", "acme");
        builder.UseSetting("Workspaces:0:AccessTokens:0", AcmeToken);
        builder.UseSetting("Workspaces:1:Id", "globex");
        builder.UseSetting("Workspaces:1:AccessTokens:0", GlobexToken);
        builder.UseSetting("Admin:AccessTokens:0", AdminToken);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }
}
