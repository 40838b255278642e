using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Workspaces;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Operations;

/// <summary>How far a projection is behind the event log, in events and in seconds.</summary>
public sealed record ProjectionLag(long Events, double Seconds);

/// <summary>One projection in <c>GET /admin/projections</c>.</summary>
public sealed record ProjectionStatus(
    string Name, string Description, string Lifecycle, int Version, string State, RebuildError? Error,
    long Position, long HighWaterMark, ProjectionLag Lag, RebuildJobResource? LastRebuild)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "projection";

    /// <summary>Up to date and taking events.</summary>
    public const string Running = "running";

    public const string Rebuilding = "rebuilding";

    /// <summary>Its last rebuild failed (the error says at which event); the previous version is still served.</summary>
    public const string Faulted = "faulted";
}

/// <summary>
/// GET /admin/projections (operators only): every projection with its lifecycle, version, state (running,
/// rebuilding, or faulted with the error of its last failed rebuild), its position against the store's
/// high-water mark and its lag. All projections are inline (ADR 0008): written in the transaction of their
/// events, so their position is the high-water mark and their lag is zero by construction.
/// </summary>
public static class ListProjectionsEndpoint
{
    [WolverineGet("/admin/projections")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Get(HttpContext context, ProjectionRebuilds rebuilds, NpgsqlDataSource dataSource)
    {
        var statuses = await ProjectionStatuses.ReadAsync(rebuilds, dataSource, context.RequestAborted);
        return ApiJson.Ok(new { type = "projection.list", data = statuses });
    }
}

/// <summary>Reads the status of every projection (the admin API and the readiness check share it).</summary>
public static class ProjectionStatuses
{
    public static async Task<IReadOnlyList<ProjectionStatus>> ReadAsync(ProjectionRebuilds rebuilds, NpgsqlDataSource dataSource, CancellationToken cancellation)
    {
        long highWaterMark;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellation))
        {
            highWaterMark = (long)(await Sql.ScalarAsync(connection, null, $"select coalesce(max(seq_id), 0) from {EventLog.Events}", cancellation) ?? 0L);
        }

        var (jobs, rebuilding) = await rebuilds.RecentAsync(cancellation);
        return [.. ReadModels.All.Select(model =>
        {
            var involving = jobs.Where(job => job.Projection.Split(',').Contains(model.Name)).ToList();
            // Faulted: its newest failed rebuild, unless a full rebuild of it has succeeded since.
            var fault = involving.TakeWhile(job => !(job.State == RebuildJob.Succeeded && job.Workspace is null))
                .FirstOrDefault(job => job.State == RebuildJob.Failed);
            var state = rebuilding.Contains(model.Name) ? ProjectionStatus.Rebuilding
                : fault is not null ? ProjectionStatus.Faulted
                : ProjectionStatus.Running;
            var last = involving.FirstOrDefault();
            return new ProjectionStatus(model.Name, model.Description, "inline", model.Version, state, fault?.Error,
                highWaterMark, highWaterMark, new ProjectionLag(0, 0), last is null ? null : RebuildJobResource.Of(last));
        })];
    }
}
