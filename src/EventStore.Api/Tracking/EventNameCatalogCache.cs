using System.Collections.Concurrent;
using System.Text;
using EventStore.Api.Persistence;
using EventStore.Domain.EventNames;
using EventStore.Domain.Tracking;
using Marten;
using Marten.Services.BatchQuerying;

namespace EventStore.Api.Tracking;

/// <summary>
/// Each workspace's event-name catalog as this node last read it, with its row's <c>xmin</c> (the id of the
/// transaction that wrote the row, new on every write). A group commit asks for the catalog only if its row changed
/// since, so a workspace's vocabulary (up to the active-name cap, and every archived name) does not cost each group
/// its whole JSON, and what the group sees is still exactly the stored catalog.
/// </summary>
public sealed class EventNameCatalogCache
{
    private static readonly string CatalogSql =
        $"select coalesce((select case when xmin::text = ? then xmin::text else xmin::text || ' ' || data::text end " +
        $"from {EventStoreSchema.SchemaName}.mt_doc_eventnamecatalog where id = ? and tenant_id = ?), '')";

    private readonly ConcurrentDictionary<string, (string Version, EventNameCatalog Catalog)> catalogs = new(StringComparer.Ordinal);

    /// <summary>Whether the catalog this node last read has the name (null: none read yet for the workspace).</summary>
    public bool? Knows(string workspace, EventName name) => catalogs.TryGetValue(workspace, out var entry) ? entry.Catalog.Knows(name) : null;

    /// <summary>The catalog this node last read, and its row's version (<c>xmin</c>); null when none was read yet.</summary>
    public (string Version, EventNameCatalog Catalog)? Current(string workspace) => catalogs.TryGetValue(workspace, out var entry) ? entry : null;

    /// <summary>
    /// Drops the node's copy once a group has fetched the catalog for writing: that group may change the row, and a copy
    /// kept would go on answering "unknown" for the names it admits, so that every later group locked the catalog.
    /// </summary>
    public void Forget(string workspace) => catalogs.TryRemove(workspace, out _);

    /// <summary>Queues the read on a batch; the function gives the catalog once the batch has run.</summary>
    public Func<Task<EventNameCatalog>> Read(IBatchedQuery batch, IDocumentSession session)
    {
        var workspace = session.TenantId;
        var cached = catalogs.TryGetValue(workspace, out var entry) ? entry : default;
        var row = batch.Query<string>(CatalogSql, cached.Version ?? "", EventNameCatalog.StreamKey, workspace);
        return async () =>
        {
            var answer = (await row).Single();
            if (answer.Length == 0)
            {
                catalogs.TryRemove(workspace, out _);
                return new EventNameCatalog();
            }

            var space = answer.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
            {
                return cached.Catalog ?? throw new InvalidOperationException("The catalog's row was reported unchanged with none cached");
            }

            using var json = new MemoryStream(Encoding.UTF8.GetBytes(answer[(space + 1)..]));
            var catalog = session.DocumentStore.Options.Serializer().FromJson<EventNameCatalog>(json);
            catalogs[workspace] = (answer[..space], catalog);
            return catalog;
        };
    }
}
