using System.Net.Http.Headers;
using EventStore.Api.Tests.Browser;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The real service listening on a free port of 127.0.0.1, for clients that need a real socket: a browser
/// (<see cref="Chromium"/>) cannot reach Alba's in-memory server. It runs as a process of its own, the way an operator
/// runs it (<see cref="ApiProcess"/>), with the workspaces and tokens of <see cref="ApiFixture"/> (acme, globex, an
/// operator), on a database of its own, shared by the tests of one class or collection.
/// </summary>
public class LiveService(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);

    private ApiProcess? process;

    /// <summary>Where the service listens, e.g. http://127.0.0.1:41234.</summary>
    public Uri Address => process!.Address;

    /// <summary>The fixture's own database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The last lines the service wrote, for failure messages.</summary>
    public string OutputTail => process?.OutputTail ?? "";

    /// <summary>Settings a fixture adds or changes (configuration keys, e.g. <c>Tracking:ActiveEventNameCap</c>).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await postgres.CreateDatabaseAsync(GetType().Name);
        var settings = new Dictionary<string, string>
        {
            ["Workspaces:1:Id"] = "globex",
            ["Workspaces:1:AccessTokens:0"] = ApiFixture.GlobexToken,
            ["Admin:AccessTokens:0"] = ApiFixture.AdminToken,
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        process = ApiProcess.Start(ConnectionString, settings);
        await process.WaitUntilReadyAsync(StartTimeout);
    }

    /// <summary>An HTTP client of the service speaking as <paramref name="token"/> (none when null).</summary>
    public HttpClient Client(string? token = ApiFixture.AcmeToken)
    {
        var client = process!.Client();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await process.DisposeAsync();
        }
    }
}
