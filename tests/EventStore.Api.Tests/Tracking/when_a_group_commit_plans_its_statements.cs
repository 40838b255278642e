using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tracking;
using Microsoft.Extensions.DependencyInjection;

namespace EventStore.Api.Tests.Tracking;

/// <summary>
/// Group commits plan their statements once (ADR 0012): every statement of a group is a keyed lookup or a set-based write
/// over the group's arrays, which PostgreSQL's default would plan again at every execution.
/// </summary>
public sealed class when_a_group_commit_plans_its_statements(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task uses_generic_plans_on_every_connection_of_the_committers_pool()
    {
        var pool = api.Host.Services.GetRequiredService<GroupCommitConnections>().DataSource;
        await using var command = pool.CreateCommand("show plan_cache_mode");

        (await command.ExecuteScalarAsync(TestContext.Current.CancellationToken)).ShouldBe("force_generic_plan", "set for the pool's sessions, not per group");
    }
}
