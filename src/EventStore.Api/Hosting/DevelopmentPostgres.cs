using System.Security.Cryptography;
using EventStore.LocalPostgres;

namespace EventStore.Api.Hosting;

/// <summary>
/// Makes <c>dotnet run</c> work on a machine with only the .NET SDK and PostgreSQL's packages: when no
/// <c>ConnectionStrings:Postgres</c> is configured (outside Production), a private cluster is started in the
/// git-ignored <c>.local/postgres</c> folder of the repository, and, when no workspace is configured,
/// a <c>default</c> workspace is provisioned with a token kept in <c>.local/default-workspace-token</c>.
/// </summary>
public static class DevelopmentPostgres
{
    public const string ConnectionStringKey = "ConnectionStrings:Postgres";

    public static async Task ConfigureAsync(WebApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration[ConnectionStringKey]))
        {
            return;
        }

        if (builder.Environment.IsProduction())
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgres is not set. Set it (for example ConnectionStrings__Postgres=\"Host=...;Database=...;Username=...;Password=...\").");
        }

        var local = LocalFolder(builder.Environment.ContentRootPath);
        var cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions
        {
            DataDirectory = Path.Combine(local, "postgres"),
            Database = "eventstore",
            Log = line => Console.WriteLine($"[local postgres] {line}"),
        });
        // A factory registration, so the container disposes (stops) the cluster it started when the host stops.
        builder.Services.AddSingleton(_ => cluster);
        var settings = new Dictionary<string, string?> { [ConnectionStringKey] = cluster.ConnectionString };

        if (!builder.Configuration.GetSection("Workspaces").GetChildren().Any())
        {
            var token = DefaultWorkspaceToken(local);
            settings["Workspaces:0:Id"] = "default";
            settings["Workspaces:0:AccessTokens:0"] = token;
            builder.Services.AddHostedService(services => new DefaultWorkspaceBanner(services, token));
        }

        builder.Configuration.AddInMemoryCollection(settings);
    }

    private static string DefaultWorkspaceToken(string local)
    {
        var path = Path.Combine(local, "default-workspace-token");
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var token = "dev_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(path, token);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return token;
    }

    /// <summary>The repository's <c>.local</c> folder (found by walking up to EventStore.sln), else one beside the app.</summary>
    private static string LocalFolder(string contentRoot)
    {
        for (var dir = new DirectoryInfo(contentRoot); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventStore.sln")))
            {
                return Directory.CreateDirectory(Path.Combine(dir.FullName, ".local")).FullName;
            }
        }

        return Directory.CreateDirectory(Path.Combine(contentRoot, ".local")).FullName;
    }

    /// <summary>Prints, once the server listens, how to use the default workspace (a development convenience, not a log line).</summary>
    private sealed class DefaultWorkspaceBanner(IServiceProvider services, string token) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStarted.Register(() =>
            {
                var addresses = services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                    .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
                var url = addresses?.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses?.FirstOrDefault() ?? "http://localhost:5000";
                var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                Console.WriteLine($$$"""

                    Event tracking service is ready at {{{url}}}
                    Workspace 'default', access token: {{{token}}}
                    Console: {{{url}}}/console (sign in with that token)
                    Try it:
                      curl -i -X POST {{{url}}}/events -H 'Authorization: Bearer {{{token}}}' -H 'Content-Type: application/json' \
                        -d '{"event_name":"invited-friend","created_at":{{{now}}},"user_id":"314159","metadata":{"invite_code":"ADDAFRIEND"}}'

                    """);
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
