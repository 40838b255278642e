using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Segments;
using EventStore.Api.Workspaces;
using EventStore.Domain.Tracking;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Overview;

/// <summary>The caller's workspace in figures: the answer of <c>GET /workspace</c>.</summary>
public sealed record WorkspaceTotals(string Id, long Users, long Events, int ActiveEventNames, int ArchivedEventNames, int ActiveEventNameCap)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "workspace";
}

/// <summary>
/// GET /workspace: the caller's workspace with its totals: users (timelines), tracked events (imported summaries not
/// included, as in <c>GET /events/activity</c>), active and archived event names and the cap on active names.
/// </summary>
public static class GetWorkspaceEndpoint
{
    [WolverineGet("/workspace")]
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Get(HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource, IOptions<TrackingRules> rules)
    {
        var workspace = context.User.WorkspaceOf();
        var catalog = await SegmentCatalog.CatalogAsync(store, workspace, context.RequestAborted);
        await using var connection = await dataSource.OpenConnectionAsync(context.RequestAborted);
        var totals = await Sql.ListAsync(connection, null,
            $"select (select count(*) from {SegmentCatalog.UserTable} where tenant_id = $1), " +
            $"(select coalesce(sum(count), 0)::bigint from {EventActivityProjection.Table.QualifiedName} where tenant_id = $1)",
            reader => (Users: reader.GetInt64(0), Events: reader.GetInt64(1)), context.RequestAborted, workspace);
        var archived = catalog.Names.Count(n => n.Value.Archived);
        return ApiJson.Ok(new WorkspaceTotals(workspace, totals[0].Users, totals[0].Events, catalog.Names.Count - archived, archived,
            rules.Value.ActiveEventNameCap));
    }
}
