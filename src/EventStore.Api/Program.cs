using EventStore.Api.Browser;
using EventStore.Api.Errors;
using EventStore.Api.Health;
using EventStore.Api.Hosting;
using EventStore.Api.Http;
using EventStore.Api.Operations;
using EventStore.Api.Persistence;
using EventStore.Api.Privacy;
using EventStore.Api.Protection;
using EventStore.Api.Telemetry;
using EventStore.Api.Tracking;
using EventStore.Api.WebConsole;
using EventStore.Api.Workspaces;
using JasperFx.CodeGeneration;
using Marten;
using Npgsql;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

// No command runs the service; the service's own commands administer it (Hosting/ServiceCommandLine.cs). Help and
// mistakes are answered here, before anything starts.
if (await ServiceCommandLine.AnswerWithoutHostAsync(args) is { } answered)
{
    return answered;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppFolder.ContentRoot() });
// Settings it cannot use stop the service here, one line each, exit code 78 (Hosting/StartupCheck.cs).
if (!StartupCheck.Passes(builder))
{
    return StartupCheck.ConfigurationError;
}

// A start-up failure is reported once, as one line, by ServiceCommandLine; the host's own log of it would repeat it with a stack trace.
builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
await DevelopmentPostgres.ConfigureAsync(builder);

var connectionString = ConnectionDefaults.Apply(builder.Configuration.GetConnectionString("Postgres")
    ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set."));

if (builder.Environment.IsProduction())
{
    builder.Logging.ClearProviders().AddJsonConsole(json => json.IncludeScopes = true);
    // One readable line and a non-zero exit, not a stack trace, for a guessable token (Workspaces/TokenStrength.cs).
    if (TokenStrength.FindWeak(builder.Configuration.GetSection("Workspaces").Get<List<WorkspaceOptions>>() ?? [],
            builder.Configuration.GetSection("Admin").Get<AdminOptions>() ?? new AdminOptions()) is { } weakToken)
    {
        await Console.Error.WriteLineAsync(weakToken);
        return 1;
    }
}

builder.Services.AddSingleton(TimeProvider.System);
// Every options section (Tracking:*, RateLimits:*, Idempotency:*, Privacy:Export:*, Browser:*, Operations:Rebuild:*), in one list.
builder.Services.AddServiceSettings();
builder.Services.AddSingleton<BulkAdmission>();
builder.Services.AddSingleton<ExportAdmission>();
builder.Services.AddSingleton<EventNameCatalogCache>();
builder.Services.AddSingleton(new KnownTimelineIds());
builder.Services.AddSingleton<EventCommitter>();
builder.Services.AddHostedService(services => services.GetRequiredService<EventCommitter>());
builder.Services.AddSingleton(_ => AccessTokens.FromConfiguration(builder.Configuration));
// Tokens issued at run time (POST /admin/tokens, `tokens create`): looked up in PostgreSQL once per node, then cached
// until a revocation notifies every node.
builder.Services.AddSingleton<IssuedTokens>();
builder.Services.AddSingleton(services => new IssuedTokenCache(IssuedTokenCache.ListenerSource(connectionString), services.GetRequiredService<ILogger<IssuedTokenCache>>()));
builder.Services.AddHostedService(services => services.GetRequiredService<IssuedTokenCache>());
// Hosting/LeaderElection.cs: one node runs the once-per-cluster work (ILeaderWork), another takes over when it dies.
builder.Services.AddLeaderElection(connectionString);
// Persistence/FirstAnalyze.cs: a new store's tables are analyzed as soon as they fill, not a minute later by autovacuum.
builder.Services.AddSingleton<ILeaderWork, FirstAnalyze>();
builder.Services.AddAccessTokenAuthentication();
// Browser/: the widget script and the endpoint web pages track through (Workspaces:N:Browser:*, Browser:*; ADR 0014).
builder.Services.AddBrowserTracking();
builder.Services.AddEventStoreHealthChecks();
// Protection/: Kestrel limits, per-workspace rate limits (RateLimits:*), idempotency keys (Idempotency:*).
builder.AddRequestProtection();
// Http/PublicAddress.cs: PublicUrl, and forwarded headers from ForwardedHeaders:KnownProxies / KnownNetworks only.
builder.AddPublicAddress();
builder.AddEventStoreTelemetry();
// Hosting/ManagementAddress.cs: Management:Urls, where /metrics and /health/* are served apart from the API.
builder.AddManagementAddress();

// One connection pool for Marten and for the read side's own SQL.
var dataSource = new NpgsqlDataSourceBuilder(connectionString) { Name = "eventstore" }.Build();
builder.Services.AddSingleton(_ => dataSource);
// Group commits' own pool (Tracking/EventCommitter.cs): their transactions leave no session state behind, so their
// connections skip Npgsql's reset when they go back to the pool.
builder.Services.AddSingleton(_ => GroupCommitConnections.For(connectionString));
builder.Services.AddSingleton<PageCursors>();
builder.Services.AddSingleton<EventStore.Api.Segments.SegmentIndex>();
builder.Services.AddHostedService<EventStore.Api.Segments.SegmentIndexRefresh>();
// Operations/: projection status and online rebuilds (ADR 0011), Operations:Rebuild:* settings.
builder.Services.AddProjectionOperations();
builder.Services.AddMarten(options => EventStoreSchema.Configure(options, dataSource))
    .UseLightweightSessions()
    .IntegrateWithWolverine()
    .ApplyAllDatabaseChangesOnStartup();

// Write conflicts that the service retries are not errors (Persistence/MartenFailureLog.cs).
builder.Services.ConfigureMarten((services, options) =>
    options.Logger(new MartenFailureLog(services.GetRequiredService<ILoggerFactory>().CreateLogger("Marten"))));

builder.Host.UseWolverine(options =>
{
    // Under a test host Wolverine would otherwise adopt the test assembly and find no handlers.
    options.ApplicationAssembly = typeof(Program).Assembly;

    // Wolverine is the in-process command pipeline here: no queues, so no inbox/outbox agents to run.
    options.Durability.Mode = DurabilityMode.MediatorOnly;
    options.Policies.AutoApplyTransactions();
    // Handler and endpoint code is generated ahead of time (Internal/Generated, `codegen write`) and loaded
    // statically: no Roslyn at run time, fast start and no compile on the first request (ADR 0005).
    // Development falls back to compiling whatever was not pre-generated yet.
    options.UseRuntimeCompilation();
    options.CodeGeneration.TypeLoadMode = builder.Environment.IsDevelopment() ? TypeLoadMode.Auto : TypeLoadMode.Static;
});
builder.Services.AddWolverineHttp();
// Http/ApiDocument.cs: the OpenAPI document (/openapi/v1.json) and its interactive reference (/scalar/v1).
builder.Services.AddApiDocument();

var app = builder.Build();

// Fail at start, not at the first request, when the tokens are misconfigured.
app.Services.GetRequiredService<AccessTokens>();
app.Services.GetRequiredService<BrowserWorkspaces>();

// Resolving the development cluster (if any) hands it to the container, which stops it on shutdown.
app.Services.GetService<EventStore.LocalPostgres.LocalPostgresCluster>();

app.UseRequestIds();
app.UseErrorList();
app.UseManagementAddress();
// Http/PublicAddress.cs: forwarded headers from known proxies, AllowedHosts, PublicUrl.
app.UsePublicAddress();
// Protection/: URL, query and header size limits, before anything reads them.
app.UseRequestLimits();
// WebConsole/: the console's static files at /console, before authentication (they hold no data).
app.UseConsole();
app.UseIntercomVersionCheck();
// Protection/: repeated 401s from one client address are refused for a while (429), before any token lookup.
app.UseAuthenticationThrottle();
app.UseAuthentication();
app.UseAuthorization();
// Protection/: rate limits, then Idempotency-Key replays; both need the authenticated workspace.
app.UseWorkspaceProtection();
app.MapEventStoreHealthChecks();
app.MapEventStoreMetrics();
app.MapBrowserTracking();
app.MapWolverineEndpoints();
app.MapApiDocument();

return await ServiceCommandLine.RunAsync(app, args);

/// <summary>The web host; public so the Alba tests can boot it.</summary>
public partial class Program;

/// <summary>
/// Bounds every wait on PostgreSQL, so that during an outage a request is answered (503, see ErrorResponses)
/// instead of hanging: opening a connection gives up after 5 s (<c>Timeout</c>) and a command after 15 s
/// (<c>Command Timeout</c>, Npgsql's default is 30 s). Only where the connection string does not say otherwise.
/// </summary>
internal static class ConnectionDefaults
{
    public const int ConnectTimeoutSeconds = 5;
    public const int CommandTimeoutSeconds = 15;

    /// <summary>
    /// Statements Npgsql prepares per connection once used a few times. The service sends the same few statements over
    /// and over (each group commit is about ten of them); unprepared, planning them was ≈20% of PostgreSQL's time under
    /// POST /events. `Max Auto Prepare=0` in the connection string turns it off (PgBouncer in transaction mode before 1.21).
    /// </summary>
    public const int AutoPreparedStatements = 100;

    public static string Apply(string connectionString)
    {
        // Which keys were given: Npgsql accepts any case and spacing ("Command Timeout", "CommandTimeout").
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>().Select(key => key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("timeout"))
        {
            builder.Timeout = ConnectTimeoutSeconds;
        }

        if (!given.Contains("commandtimeout"))
        {
            builder.CommandTimeout = CommandTimeoutSeconds;
        }

        if (!given.Contains("maxautoprepare"))
        {
            builder.MaxAutoPrepare = AutoPreparedStatements;
        }

        return builder.ConnectionString;
    }
}

/// <summary>
/// Where the service reads <c>appsettings.json</c>: ASP.NET Core looks in the current directory, so
/// <c>dotnet /opt/eventstore/EventStore.Api.dll</c> started from elsewhere would run without its settings
/// (and log every request at Information). When the current directory has none, the app's own folder is used.
/// </summary>
internal static class AppFolder
{
    public static string? ContentRoot() =>
        !File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"))
        && File.Exists(Path.Combine(AppContext.BaseDirectory, "appsettings.json"))
            ? AppContext.BaseDirectory
            : null;
}
