using System.Globalization;
using JasperFx.CommandLine;
using Marten;

namespace EventStore.Api.Operations;

public sealed class RebuildInput : NetCoreInput
{
    [Description("rebuild")]
    public string Action { get; set; } = "rebuild";

    [Description("The projection to rebuild (UserTimeline, EventNameCatalog, Timeline, EventStats); all when absent")]
    [FlagAlias("projection", 'p')]
    public string ProjectionFlag { get; set; } = "";

    [Description("Rebuild one workspace's data only")]
    public string TenantFlag { get; set; } = "";
}

/// <summary>
/// <c>projections rebuild [-p Name] [--tenant acme]</c>: the online rebuild of ADR 0011, from the command line,
/// safe while the service runs and takes events. It replaces Marten's stock rebuild for that verb (see
/// <see cref="ProjectionsCommandLine"/>), which empties the tables first and would race a running service.
/// Progress (events done / total, rate, ETA) is printed as it goes.
/// </summary>
[Description("Rebuilds projections from the event log while the service keeps running (ADR 0011)", Name = ProjectionsCommandLine.RebuildCommandName)]
public sealed class RebuildProjectionsCommand : JasperFxAsyncCommand<RebuildInput>
{
    public RebuildProjectionsCommand()
    {
        Usage("Rebuild every projection, or the one named with -p").Arguments(x => x.Action);
    }

    public override async Task<bool> Execute(RebuildInput input)
    {
        if (!string.Equals(input.Action, "rebuild", StringComparison.OrdinalIgnoreCase))
        {
            return Fail($"Unknown action '{input.Action}': use rebuild");
        }

        IReadOnlyList<ReadModel>? models = input.ProjectionFlag.Length == 0 ? ReadModels.All
            : ReadModels.Named(input.ProjectionFlag) is { } model ? [model] : null;
        if (models is null)
        {
            return Fail($"No projection '{input.ProjectionFlag}': use one of {string.Join(", ", ReadModels.All.Select(m => m.Name))}");
        }

        using var host = input.BuildHost();
        // The service creates or migrates the schema when it starts; the command may run before it ever did.
        await host.Services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var workspace = input.TenantFlag.Length == 0 ? null : input.TenantFlag;
        var printed = DateTime.MinValue;
        var progress = new Reporter(update =>
        {
            var (projection, p) = update;
            var finished = p.Phase == "switched";
            if (!finished && DateTime.UtcNow - printed < TimeSpan.FromSeconds(1))
            {
                return;
            }

            printed = DateTime.UtcNow;
            var percent = p.Total == 0 ? 100 : 100.0 * p.Done / p.Total;
            var eta = p.EtaSeconds is { } seconds && !finished ? $", ETA {TimeSpan.FromSeconds(seconds):g}" : "";
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: {1} {2:N0}/{3:N0} ({4:F0}%), {5:N0}/s{6}",
                projection.Name, p.Phase, p.Done, p.Total, percent, p.PerSecond, eta));
        });

        var job = await host.Services.GetRequiredService<ProjectionRebuilds>().RunNowAsync(models, workspace, progress, CancellationToken.None);
        if (job is null)
        {
            return Fail("A rebuild of one of these projections is already running (GET /admin/projections shows it)");
        }

        if (job.State != RebuildJob.Succeeded)
        {
            return Fail($"Rebuild failed: {job.Error?.Message}");
        }

        Console.WriteLine($"Rebuilt {job.Projection} (workspace {workspace ?? "all"}).");
        return true;
    }

    private static bool Fail(string message)
    {
        Console.Error.WriteLine(message);
        return false;
    }

    private sealed class Reporter(Action<(ReadModel, RebuildProgress)> report) : IProgress<(ReadModel, RebuildProgress)>
    {
        public void Report((ReadModel, RebuildProgress) value) => report(value);
    }
}

/// <summary>
/// Sends <c>projections rebuild</c> (with <c>-p</c>/<c>--projection</c> and <c>--tenant</c>) to <see cref="RebuildProjectionsCommand"/>;
/// every other <c>projections</c> verb (<c>list</c>, ...) stays Marten's. The JasperFx command line registers its own
/// <c>projections</c> command first and keeps it, so the verb is routed here before it parses.
/// </summary>
public static class ProjectionsCommandLine
{
    public const string RebuildCommandName = "rebuild-projections";

    public static string[] Route(string[] args) =>
        args.Length > 0 && args[0] == "projections" && args.Skip(1).Any(a => a.Equals("rebuild", StringComparison.OrdinalIgnoreCase))
            ? [RebuildCommandName, .. args.Skip(1)]
            : args;
}
