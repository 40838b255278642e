using System.Diagnostics;
using EventStore.LocalPostgres;
using Npgsql;

namespace EventStore.Api.Tests.Hosting;

/// <summary>
/// The private PostgreSQL of <c>dotnet run</c> (and of the commands in Development) is stopped by the process that
/// started it. One left running by a killed run is adopted by the next run, which then stops it when it ends; one whose
/// starter still runs (the service, while a command runs beside it) is left alone.
/// </summary>
public sealed class when_a_private_cluster_was_left_running : IAsyncLifetime
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "eventstore-adopt-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<LocalPostgresCluster> clusters = [];

    private async Task<LocalPostgresCluster> Start()
    {
        var cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = folder, Database = "adopted", AdoptOrphans = true },
            TestContext.Current.CancellationToken);
        clusters.Add(cluster);
        return cluster;
    }

    [Fact]
    public async Task the_next_run_adopts_it_and_stops_it_when_it_ends()
    {
        var killed = await Start();
        await PretendItsStarterWasKilled();

        var next = await Start();

        next.Port.ShouldBe(killed.Port, "the server left running is reused");
        next.StopsOnDispose.ShouldBeTrue("its starter is gone: the next run owns it");
        await next.DisposeAsync();
        (await Answers(next)).ShouldBeFalse("stopped with the run that adopted it");
    }

    [Fact]
    public async Task a_server_whose_starter_still_runs_is_left_running()
    {
        var service = await Start();

        var command = await Start();

        command.StopsOnDispose.ShouldBeFalse("its starter still runs");
        await command.DisposeAsync();
        (await Answers(service)).ShouldBeTrue("the service that started it still uses it");
        await service.DisposeAsync();
        (await Answers(service)).ShouldBeFalse("stopped by the process that started it");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // Whatever a failed test left: stop the server and remove the folder.
        await (await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = folder, Database = "adopted", Ephemeral = true, AdoptOrphans = true })).DisposeAsync();
        foreach (var cluster in clusters)
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>What a SIGKILL of the starting process leaves: the server running, its owner record naming a process that has exited.</summary>
    private async Task PretendItsStarterWasKilled()
    {
        using var exited = Process.Start("true")!;
        await exited.WaitForExitAsync(TestContext.Current.CancellationToken);
        var record = Path.Combine(folder, "eventstore-owner");
        var lines = await File.ReadAllLinesAsync(record, TestContext.Current.CancellationToken);
        lines[0] = exited.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await File.WriteAllLinesAsync(record, lines, TestContext.Current.CancellationToken);
    }

    private static async Task<bool> Answers(LocalPostgresCluster cluster)
    {
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }
}
