using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Segments;
using EventStore.Api.Workspaces;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.EventNames;

/// <summary>
/// GET /event-names: the workspace's event-name registry, archived names included: each name with its
/// description, whether it is archived, and how many users and events it has.
/// </summary>
public static class ListEventNamesEndpoint
{
    [WolverineGet("/event-names")]
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Get(HttpContext context, IDocumentStore store, NpgsqlDataSource dataSource, PageCursors cursors)
    {
        var cancellation = context.RequestAborted;
        var query = new QueryParameters(context.Request.Query);
        var perPage = query.PerPage(QueryParameters.MaxPerPage);
        var cursor = query.String("starting_after");
        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        var workspace = context.User.WorkspaceOf();
        var scope = $"{workspace}|event-names";
        var after = cursor is null ? null : await cursors.DecodeAsync(scope, cursor);
        if (cursor is not null && after is null)
        {
            return ErrorList.Result(context, [SegmentCatalog.InvalidCursor]);
        }

        var catalog = await SegmentCatalog.CatalogAsync(store, workspace, cancellation);
        var (page, hasMore) = SegmentCatalog.PageOfNames(catalog, includeArchived: true, after, perPage);
        var names = (await SegmentCatalog.DescribeAsync(dataSource, workspace, page, cancellation))
            .Select(s => new EventNameListing(s.Name, s.Description, s.Archived, s.UserCount, s.EventCount, s.First, s.Last));
        var next = hasMore ? Links.WithQuery(context.Request, ("starting_after", await cursors.EncodeAsync(scope, page[^1].Name))) : null;
        return ApiJson.Ok(new { type = "event_name.list", event_names = names, pages = new Pages(perPage, next) });
    }
}

/// <summary>One entry of the registry.</summary>
public sealed record EventNameListing(string Name, string? Description, bool Archived, long UserCount, long EventCount, string? First, string? Last)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "event_name";
}
