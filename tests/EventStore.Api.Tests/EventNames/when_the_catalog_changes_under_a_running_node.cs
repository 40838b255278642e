using System.Net;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Tracking;

namespace EventStore.Api.Tests.EventNames;

/// <summary>
/// A node keeps the event-name catalog it last read and reads it again only when its row changed (ADR 0009): what
/// tracking decides is still the stored catalog, also when the row was replaced behind the node's back (a database
/// restored from a backup, another node, an operator).
/// </summary>
public sealed class when_the_catalog_changes_under_a_running_node(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task Track(string name, long createdAt) =>
        (await api.Host.PostEvent(Scenarios.Event(name: name, userId: "catalog-user", createdAt: createdAt))).Status.ShouldBe(HttpStatusCode.Accepted);

    private async Task<string> Names() => (await api.Host.Get("/event-names")).Body;

    [Fact]
    public async Task a_name_the_store_no_longer_has_is_activated_again()
    {
        await Track("restored-away", 1_700_000_000);
        await Track("restored-away", 1_700_000_001);
        (await Names()).ShouldContain("restored-away", Case.Sensitive, "the node has read (and kept) a catalog with the name");

        // The catalog as a backup from before the name would have it: gone, stream and snapshot.
        await api.ExecuteAsync("delete from eventstore.mt_doc_eventnamecatalog where tenant_id = $1", "acme");
        await api.ExecuteAsync("delete from eventstore.mt_events where tenant_id = $1 and stream_id = 'event-names'", "acme");
        await api.ExecuteAsync("delete from eventstore.mt_streams where tenant_id = $1 and id = 'event-names'", "acme");
        await Track("restored-away", 1_700_000_002);

        (await Names()).ShouldContain("restored-away", Case.Sensitive, "the name was activated again, not taken as known from what the node had read");
    }
}
