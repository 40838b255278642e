using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Workspaces;
using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace EventStore.Api.Operations;

/// <summary>
/// POST /admin/projections/{name}/rebuild[?workspace=acme] (operators only): starts rebuilding one projection
/// (or <c>all</c> of them, in order) from the event log in the background, while the service keeps taking events
/// (ADR 0011). 202 with the job and its <c>Location</c>; 409 with the running job's location when that
/// projection is already rebuilding (on any node, or from the command line); 404 for an unknown projection or
/// workspace.
/// </summary>
public static class RebuildProjectionEndpoint
{
    public const string All = "all";

    [WolverinePost("/admin/projections/{name}/rebuild")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Post(string name, HttpContext context, ProjectionRebuilds rebuilds, AccessTokens configured)
    {
        var query = new QueryParameters(context.Request.Query);
        var workspace = query.String("workspace");
        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        IReadOnlyList<ReadModel>? models = string.Equals(name, All, StringComparison.OrdinalIgnoreCase) ? ReadModels.All
            : ReadModels.Named(name) is { } model ? [model] : null;
        if (models is null)
        {
            return ErrorList.Result(context, StatusCodes.Status404NotFound, new ApiError("not_found",
                $"Projection Not Found: use one of {string.Join(", ", ReadModels.All.Select(m => m.Name))} or {All}", "name"));
        }

        if (workspace is not null && !configured.IsWorkspace(workspace))
        {
            return Admin.CreateAccessTokenEndpoint.WorkspaceNotFound(context);
        }

        var start = await rebuilds.StartAsync(models, workspace, "http", context.RequestAborted);
        if (start.Started is { } job)
        {
            context.Response.Headers.Location = RebuildJobEndpoint.PathOf(job.Id);
            return Results.Json(RebuildJobResource.Of(job), ApiJson.Options, "application/json; charset=utf-8", StatusCodes.Status202Accepted);
        }

        var running = start.AlreadyRunning!;
        if (running.Id != Guid.Empty)
        {
            context.Response.Headers.Location = RebuildJobEndpoint.PathOf(running.Id);
        }

        return ErrorList.Result(context, StatusCodes.Status409Conflict, new ApiError("conflict",
            $"{running.Projection} is already being rebuilt; wait for that rebuild to finish", "name"));
    }
}

/// <summary>GET /admin/projections/rebuilds/{id} (operators only): a rebuild's progress and outcome.</summary>
public static class RebuildJobEndpoint
{
    public static string PathOf(Guid id) => $"/admin/projections/rebuilds/{id:N}";

    [WolverineGet("/admin/projections/rebuilds/{id}")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Get(string id, HttpContext context, ProjectionRebuilds rebuilds) =>
        Guid.TryParseExact(id, "N", out var jobId) && await rebuilds.FindAsync(jobId, context.RequestAborted) is { } job
            ? ApiJson.Ok(RebuildJobResource.Of(job))
            : ErrorList.Result(context, StatusCodes.Status404NotFound, new ApiError("not_found", "Rebuild Not Found", "id"));
}

/// <summary>GET /admin/projections/rebuilds (operators only): the latest rebuilds, newest first, running ones included.</summary>
public static class ListRebuildJobsEndpoint
{
    [WolverineGet("/admin/projections/rebuilds")]
    [Authorize(Policy = Policies.Admin)]
    public static async Task<IResult> Get(HttpContext context, ProjectionRebuilds rebuilds)
    {
        var query = new QueryParameters(context.Request.Query);
        var perPage = query.PerPage(20);
        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        var (jobs, _) = await rebuilds.RecentAsync(context.RequestAborted);
        return ApiJson.Ok(new RebuildJobList([.. jobs.Take(perPage).Select(RebuildJobResource.Of)]));
    }
}

/// <summary>The answer of <c>GET /admin/projections/rebuilds</c>.</summary>
public sealed record RebuildJobList(IReadOnlyList<RebuildJobResource> Data)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "projection_rebuild.list";
}

/// <summary>A rebuild on the wire: Unix seconds, snake_case, a <c>type</c>.</summary>
public sealed record RebuildJobResource(
    string Id, string Projection, string? Workspace, string State, string Phase, long EventsDone, long EventsTotal,
    double EventsPerSecond, long? EtaSeconds, long StartedAt, long? FinishedAt, RebuildError? Error, string Origin)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "projection_rebuild";

    public static RebuildJobResource Of(RebuildJob job) => new(job.Id.ToString("N"), job.Projection, job.Workspace, job.State, job.Phase,
        job.EventsDone, job.EventsTotal, Math.Round(job.EventsPerSecond, 1), job.EtaSeconds, job.StartedAt.ToUnixTimeSeconds(),
        job.FinishedAt?.ToUnixTimeSeconds(), job.Error, job.Origin);
}
