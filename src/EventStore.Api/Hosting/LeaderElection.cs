using System.ComponentModel.DataAnnotations;
using EventStore.Api.Persistence;
using EventStore.Api.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventStore.Api.Hosting;

/// <summary>Background work that must run on one node of the cluster at a time: the leader's (<see cref="LeaderElection"/>).</summary>
public interface ILeaderWork
{
    /// <summary>What the work is, for the log.</summary>
    string Name { get; }

    /// <summary>Runs until <paramref name="leadership"/> is cancelled: this node lost the leadership, or it is stopping.</summary>
    Task RunAsync(CancellationToken leadership);
}

/// <summary><c>Leadership:*</c>.</summary>
public sealed class LeadershipOptions
{
    /// <summary>
    /// How often a node tries to become the leader, and the leader checks that it still is. Bounds the takeover: a
    /// killed or stopped leader is replaced within one interval, a leader whose machine vanished within six (30 s by default; ADR 0019).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Elects one node of the cluster (every process on the database of <c>ConnectionStrings:Postgres</c>, the command line
/// excepted) to run the <see cref="ILeaderWork"/>: the node whose connection of its own holds a PostgreSQL session
/// advisory lock. Every node tries to take it every <see cref="LeadershipOptions.CheckInterval"/>; the leader checks its
/// connection as often and stops its work when the connection fails. The lock goes with its connection: a killed
/// node's at once, a vanished machine's when the server's TCP keepalives give up, after the old leader has given up
/// on its own (ADR 0019).
/// </summary>
public sealed class LeaderElection(NpgsqlDataSource lockSource, IEnumerable<ILeaderWork> work, IOptions<LeadershipOptions> options,
    ILogger<LeaderElection> logger) : BackgroundService
{
    /// <summary>The advisory lock (two-key form, as the rebuilds' <c>EVST</c> locks): "LEAD", 1.</summary>
    public const int LockClass = 0x4C454144;

    public const int LockKey = 1;

    /// <summary>The <c>application_name</c> of the lock's connection, then this node's host name and process id.</summary>
    public const string ApplicationName = "eventstore-leader";

    private readonly IReadOnlyList<ILeaderWork> work = [.. work];

    /// <summary>Whether this node runs the leader's work right now (the <c>eventstore.leader</c> gauge).</summary>
    private volatile bool isLeader;

    /// <summary>
    /// The lock's connection: not pooled (closing it releases the lock), not shared with requests, and named after the
    /// node, so that <c>pg_stat_activity</c> shows which node leads.
    /// </summary>
    public static NpgsqlDataSource LockSource(string connectionString, TimeSpan checkInterval) =>
        new NpgsqlDataSourceBuilder(connectionString)
        {
            Name = ApplicationName,
            ConnectionStringBuilder =
            {
                Pooling = false,
                ApplicationName = $"{ApplicationName} {Environment.MachineName}:{Environment.ProcessId}",
                // A check that does not answer in time counts as a lost connection.
                CommandTimeout = CheckTimeoutSeconds(checkInterval),
            },
        }.Build();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        EventStoreMetrics.ObserveLeadership(() => isLeader);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CampaignAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
            {
                // The database is unavailable or the connection was lost: try again on a new one.
                logger.LogDebug(e, "Leader election: the lock's connection failed");
            }
            catch (Exception e)
            {
                // Whatever else failed, the election must not stop the service: try again on a new connection.
                logger.LogWarning(e, "Leader election failed; trying again");
            }

            await Task.Delay(options.Value.CheckInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>On one connection: tries the lock every interval until this node has it, then leads until the connection fails.</summary>
    private async Task CampaignAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.CheckInterval;
        await using var connection = await lockSource.OpenConnectionAsync(stoppingToken);
        await DetectVanishedClientAsync(connection, interval, stoppingToken);
        while (await Sql.ScalarAsync(connection, null, "select pg_try_advisory_lock($1, $2)", stoppingToken, LockClass, LockKey) is not true)
        {
            await Task.Delay(interval, stoppingToken);
        }

        using var leadership = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        logger.LogInformation("This node is the leader: it runs {Work}", string.Join(", ", work.Select(w => w.Name)));
        isLeader = true;
        var running = work.Select(w => RunAsync(w, leadership.Token)).ToList();
        try
        {
            while (true)
            {
                await Task.Delay(interval, stoppingToken);
                await Sql.ScalarAsync(connection, null, "select 1", stoppingToken);
            }
        }
        finally
        {
            isLeader = false;
            await leadership.CancelAsync();
            await Task.WhenAll(running);
            if (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("This node is no longer the leader: the connection holding the leader lock failed");
            }
        }
    }

    /// <summary>How long a check may take: one interval, at least 2 s.</summary>
    private static int CheckTimeoutSeconds(TimeSpan interval) => Math.Max(2, (int)Math.Ceiling(interval.TotalSeconds));

    /// <summary>
    /// The server's TCP keepalives on this session, so that when this machine vanishes (no FIN, no RST) the server drops
    /// the session, and the lock, after five check timeouts without a packet: this node, which notices within an interval
    /// and a timeout, has stopped its work by then. Ignored on a Unix socket, where the server shares the machine.
    /// </summary>
    private static Task DetectVanishedClientAsync(NpgsqlConnection connection, TimeSpan interval, CancellationToken cancellation)
    {
        var seconds = CheckTimeoutSeconds(interval);
        return Sql.ExecuteAsync(connection, null,
            $"set tcp_keepalives_idle = {2 * seconds}; set tcp_keepalives_interval = {seconds}; set tcp_keepalives_count = 3", cancellation);
    }

    private async Task RunAsync(ILeaderWork leaderWork, CancellationToken leadership)
    {
        try
        {
            await leaderWork.RunAsync(leadership);
        }
        catch (OperationCanceledException) when (leadership.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Not retried while this node leads: a fault in the work is a bug to fix, not a reason to change leaders.
            logger.LogError(e, "{Work} failed; it runs again when a node next becomes the leader", leaderWork.Name);
        }
    }

    public override void Dispose()
    {
        lockSource.Dispose();
        base.Dispose();
    }
}

/// <summary>Registers the election; the work it runs is registered where it lives, as <see cref="ILeaderWork"/>.</summary>
public static class LeaderElectionSetup
{
    public static IServiceCollection AddLeaderElection(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<LeadershipOptions>>();
            return new LeaderElection(LeaderElection.LockSource(connectionString, options.Value.CheckInterval),
                provider.GetServices<ILeaderWork>(), options, provider.GetRequiredService<ILogger<LeaderElection>>());
        });
        services.AddHostedService(provider => provider.GetRequiredService<LeaderElection>());
        return services;
    }
}
