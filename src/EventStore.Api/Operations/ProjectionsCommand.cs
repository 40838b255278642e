using System.Globalization;
using EventStore.Api.Hosting;
using EventStore.Api.Workspaces;
using JasperFx.CommandLine;
using Npgsql;

namespace EventStore.Api.Operations;

public sealed class ProjectionsInput : ServiceInput
{
    [Description("list, or rebuild")]
    public string Action { get; set; } = "";

    [Description("The projection to rebuild (UserTimeline, EventNameCatalog, Timeline, EventStats); all when absent")]
    [FlagAlias("projection", 'p')]
    public string ProjectionFlag { get; set; } = "";

    [Description("Rebuild one workspace's data only (--tenant is accepted too)")]
    public string WorkspaceFlag { get; set; } = "";
}

/// <summary>
/// <c>projections list</c>: each projection and its state. <c>projections rebuild [-p Name] [--workspace acme]</c>: the
/// online rebuild of ADR 0011, safe while the service runs and takes events (not Marten's stock rebuild, which
/// empties the tables first and would race a running service). Progress (phase, events done / total, rate, ETA) is
/// one line rewritten in place on a terminal, and plain lines when the output is redirected.
/// </summary>
[Description("Lists projections, or rebuilds them from the event log while the service keeps running (ADR 0011)", Name = "projections")]
public sealed class ProjectionsCommand : ServiceCommand<ProjectionsInput>
{
    public ProjectionsCommand()
    {
        Usage("List the projections, or rebuild every one (or the one named with -p)").Arguments(x => x.Action);
    }

    protected override async Task<bool> Execute(ProjectionsInput input, IServiceProvider services)
    {
        switch (input.Action.ToLowerInvariant())
        {
            case "list":
                await ListAsync(services);
                return true;
            case "rebuild":
                return await RebuildAsync(input, services);
            default:
                return Fail($"Unknown action '{input.Action}': use list or rebuild.");
        }
    }

    private static async Task ListAsync(IServiceProvider services)
    {
        var statuses = await ProjectionStatuses.ReadAsync(
            services.GetRequiredService<ProjectionRebuilds>(), services.GetRequiredService<NpgsqlDataSource>(), CancellationToken.None);
        TextTable.Write(Console.Out, ["NAME", "STATE", "LAST REBUILD", "DESCRIPTION"],
            statuses.Select(s => (IReadOnlyList<string>)[s.Name, s.State, LastRebuild(s.LastRebuild), s.Description]));
    }

    private static string LastRebuild(RebuildJobResource? job) => job is null ? "never"
        : string.Create(CultureInfo.InvariantCulture, $"{job.State} {DateTimeOffset.FromUnixTimeSeconds(job.FinishedAt ?? job.StartedAt):yyyy-MM-dd HH:mm}Z{(job.Workspace is null ? "" : $" ({job.Workspace})")}");

    private static async Task<bool> RebuildAsync(ProjectionsInput input, IServiceProvider services)
    {
        IReadOnlyList<ReadModel>? models = input.ProjectionFlag.Length == 0 ? ReadModels.All
            : ReadModels.Named(input.ProjectionFlag) is { } model ? [model] : null;
        if (models is null)
        {
            return Fail($"No projection '{input.ProjectionFlag}': use one of {string.Join(", ", ReadModels.All.Select(m => m.Name))}.");
        }

        var workspace = input.WorkspaceFlag.Length == 0 ? null : input.WorkspaceFlag;
        if (workspace is not null && !services.GetRequiredService<AccessTokens>().IsWorkspace(workspace))
        {
            return Fail($"No workspace '{workspace}' is configured (Workspaces:N:Id).");
        }

        // The service creates or migrates the schema when it starts; the command may run before it ever did.
        await services.GetRequiredService<Marten.IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var progress = new ProgressLine(live: !Console.IsOutputRedirected);
        var job = await services.GetRequiredService<ProjectionRebuilds>().RunNowAsync(models, workspace, progress, CancellationToken.None);
        progress.End();
        if (job is null)
        {
            return Fail("A rebuild of one of these projections is already running (GET /admin/projections shows it).");
        }

        if (job.State != RebuildJob.Succeeded)
        {
            return Fail($"Rebuild failed: {job.Error?.Message}");
        }

        Console.WriteLine($"Rebuilt {job.Projection} (workspace {workspace ?? "all"}).");
        return true;
    }

    /// <summary>
    /// A rebuild's progress: on a terminal one line per projection, rewritten in place (at most ten times a second);
    /// redirected, a line when the phase changes and about once a second.
    /// </summary>
    private sealed class ProgressLine(bool live) : IProgress<(ReadModel Model, RebuildProgress Progress)>
    {
        private readonly object gate = new();
        private DateTime printed = DateTime.MinValue;
        private string? phase;
        private bool open;

        public void Report((ReadModel Model, RebuildProgress Progress) value)
        {
            var (model, p) = value;
            var finished = p.Phase == "switched";
            lock (gate)
            {
                var key = $"{model.Name}/{p.Phase}";
                var due = DateTime.UtcNow - printed >= (live ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1));
                if (!finished && !due && key == phase)
                {
                    return;
                }

                (printed, phase) = (DateTime.UtcNow, key);
                var percent = p.Total == 0 ? 100 : 100.0 * p.Done / p.Total;
                var eta = p.EtaSeconds is { } seconds && !finished ? $", ETA {TimeSpan.FromSeconds(seconds):g}" : "";
                var line = string.Format(CultureInfo.InvariantCulture, "{0}: {1} {2:N0}/{3:N0} ({4:F0}%), {5:N0}/s{6}",
                    model.Name, p.Phase, p.Done, p.Total, percent, p.PerSecond, eta);
                if (live)
                {
                    // Back to the start of the line, the new text, then clear what a longer previous text left.
                    Console.Write($"\r{line}\u001b[K{(finished ? Environment.NewLine : "")}");
                    open = !finished;
                }
                else
                {
                    Console.WriteLine(line);
                }
            }
        }

        /// <summary>Ends a live line left open (a rebuild that failed midway).</summary>
        public void End()
        {
            lock (gate)
            {
                if (open)
                {
                    Console.WriteLine();
                    open = false;
                }
            }
        }
    }
}
