using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Workspaces;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Segments;

/// <summary>GET /segments/{eventName}: one event name as a segment; 404 for a name the workspace never tracked.</summary>
public static class GetSegmentEndpoint
{
    [WolverineGet("/segments/{eventName}")]
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Get(string eventName, HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource)
    {
        var cancellation = context.RequestAborted;
        var workspace = context.User.WorkspaceOf();
        var catalog = await SegmentCatalog.CatalogAsync(store, workspace, cancellation);
        var resolved = SegmentCatalog.Resolve(catalog, eventName);
        if (!resolved.IsSuccess)
        {
            return ErrorList.Result(context, [resolved.Rejection!]);
        }

        var segments = await SegmentCatalog.DescribeAsync(dataSource, workspace, [resolved.Value], cancellation);
        return ApiJson.Ok(segments[0]);
    }
}
