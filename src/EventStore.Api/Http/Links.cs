using Microsoft.AspNetCore.Http.Extensions;

namespace EventStore.Api.Http;

/// <summary>Absolute URLs on our own host, as Intercom's <c>pages.next</c> / <c>pages.since</c> are.</summary>
public static class Links
{
    /// <summary>The current request's URL with some query parameters replaced (null removes one).</summary>
    public static string WithQuery(HttpRequest request, params (string Name, string? Value)[] changes)
    {
        var query = request.Query.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        foreach (var (name, value) in changes)
        {
            if (value is null)
            {
                query.Remove(name);
            }
            else
            {
                query[name] = value;
            }
        }

        var builder = new QueryBuilder(query.Select(p => KeyValuePair.Create(p.Key, p.Value)));
        return UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path, builder.ToQueryString());
    }
}
