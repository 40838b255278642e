using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// The service with one more workspace that only the tests of one class write to, so that what is reported per
/// workspace (metrics are process-wide, and other classes' hosts run alongside) is theirs alone; logs captured.
/// </summary>
public abstract class OwnWorkspaceFixture(PostgresServer postgres) : ApiFixture(postgres)
{
    public abstract string Workspace { get; }

    public string Token => $"{Workspace}-token-0123456789";

    public CapturedLogs Logs { get; } = new();

    /// <summary>Settings of the class besides its workspace.</summary>
    protected virtual IReadOnlyDictionary<string, string> MoreSettings => new Dictionary<string, string>();

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(MoreSettings)
    {
        ["Workspaces:2:Id"] = Workspace,
        ["Workspaces:2:AccessTokens:0"] = Token,
    };

    protected override void Configure(IWebHostBuilder builder) =>
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
}
