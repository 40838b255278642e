using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Workspaces;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Segments;

/// <summary>
/// GET /segments: every event name of the workspace as a segment, by name, archived names only with
/// <c>include_archived=true</c>. The page of names comes from the catalog, so only those names are aggregated.
/// </summary>
public static class ListSegmentsEndpoint
{
    [WolverineGet("/segments")]
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Get(HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource, PageCursors cursors)
    {
        var cancellation = context.RequestAborted;
        var query = new QueryParameters(context.Request.Query);
        var perPage = query.PerPage();
        var includeArchived = query.Flag("include_archived");
        var cursor = query.String("starting_after");
        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        var workspace = context.User.WorkspaceOf();
        var scope = $"{workspace}|segments|{includeArchived}";
        var after = cursor is null ? null : await cursors.DecodeAsync(scope, cursor);
        if (cursor is not null && after is null)
        {
            return ErrorList.Result(context, [SegmentCatalog.InvalidCursor]);
        }

        var catalog = await SegmentCatalog.CatalogAsync(store, workspace, cancellation);
        var (page, hasMore) = SegmentCatalog.PageOfNames(catalog, includeArchived, after, perPage);

        var segments = await SegmentCatalog.DescribeAsync(dataSource, workspace, page, cancellation);
        var next = hasMore ? Links.WithQuery(context.Request, ("starting_after", await cursors.EncodeAsync(scope, page[^1].Name))) : null;
        return ApiJson.Ok(new { type = "segment.list", segments, pages = new Pages(perPage, next) });
    }
}
