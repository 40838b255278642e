using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tracking;
using EventStore.Domain.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace EventStore.Api.Tests.Tracking;

/// <summary>
/// A node keeps each workspace's event-name catalog as it last read it (EventNameCatalogCache). A name the copy does not
/// know makes the group lock the catalog and fetch it for writing; once that group has admitted the name, the node's copy
/// must learn it, or every later group with the name would lock the catalog again and queue all groups behind it.
/// </summary>
public sealed class when_a_name_new_to_the_node_is_tracked(ApiFixture api) : IClassFixture<ApiFixture>
{
    private EventNameCatalogCache Catalogs => api.Host.Services.GetRequiredService<EventNameCatalogCache>();

    [Fact]
    public async Task the_nodes_copy_of_the_catalog_learns_it_after_the_group_that_admitted_it()
    {
        await api.Host.TrackAccepted(new { event_name = "known-before", created_at = Scenarios.Now, user_id = "catalog-1" });
        await api.Host.TrackAccepted(new { event_name = "known-before", created_at = Scenarios.Now + 1, user_id = "catalog-1" });
        Catalogs.Knows("acme", EventName.FromNormalized("known-before")).ShouldBe(true, "the node has read the catalog with the first name");

        await api.Host.TrackAccepted(new { event_name = "new-to-the-node", created_at = Scenarios.Now, user_id = "catalog-1" });
        await api.Host.TrackAccepted(new { event_name = "new-to-the-node", created_at = Scenarios.Now + 1, user_id = "catalog-1" });

        Catalogs.Knows("acme", EventName.FromNormalized("new-to-the-node")).ShouldBe(true,
            "after the group that admitted the name, the next group reads the changed catalog instead of locking it again");
    }
}
