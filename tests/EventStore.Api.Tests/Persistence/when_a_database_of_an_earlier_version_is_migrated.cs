using EventStore.Api.Tests.Infrastructure;
using Marten;

namespace EventStore.Api.Tests.Persistence;

/// <summary>
/// A database made by an earlier version is brought to this version's schema by the migration the service runs
/// at start-up (and <c>db-apply</c>): what this version no longer keeps is removed, not left to cost every write.
/// </summary>
public sealed class when_a_database_of_an_earlier_version_is_migrated(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task drops_the_event_stats_indexes_by_first_and_last()
    {
        await api.ExecuteAsync(
            "create index ix_event_stats_by_first on eventstore.event_stats (tenant_id, name, first_at); " +
            "create index ix_event_stats_by_last on eventstore.event_stats (tenant_id, name, last_at)");

        await api.Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        (await api.ScalarAsync<string[]>(
            "select array_agg(indexname::text order by indexname) from pg_indexes where schemaname = 'eventstore' and tablename = 'event_stats'"))
            .ShouldBe(
                ["ix_event_stats_by_count", "ix_event_stats_by_name", "pkey_event_stats_tenant_id_timeline_id_name"],
                "every event writes an entry into each index of event_stats; ADR 0013 keeps three");
    }
}
