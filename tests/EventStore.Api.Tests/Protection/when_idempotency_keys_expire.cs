using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Privacy;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Protection;

/// <summary>The purge every second, so a test can see it run.</summary>
public sealed class PurgedEverySecond(PostgresServer postgres) : ApiFixture(postgres)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Idempotency:PurgeInterval"] = "00:00:01",
    };
}

/// <summary>
/// Expired keys and their stored responses are deleted on a schedule, whether or not anyone sends a key again
/// (the stored responses are data: they must not outlive <c>Idempotency:Retention</c>).
/// </summary>
public sealed class when_idempotency_keys_expire(PurgedEverySecond api) : IClassFixture<PurgedEverySecond>
{
    private async Task InsertKeyAsync(string key, TimeSpan age)
    {
        await using var command = api.DataSource().CreateCommand(
            "insert into eventstore.idempotency_keys (tenant_id, idempotency_key, request_hash, claim_id, claimed_at, status, body) " +
            "values ('acme', $1, '\\x00', gen_random_uuid(), now() - $2, 200, convert_to('{\"email\":\"old@example.org\"}', 'UTF8'))");
        command.Parameters.AddWithValue(key);
        command.Parameters.AddWithValue(age);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private async Task<bool> ExistsAsync(string key)
    {
        await using var command = api.DataSource().CreateCommand("select exists (select 1 from eventstore.idempotency_keys where tenant_id = 'acme' and idempotency_key = $1)");
        command.Parameters.AddWithValue(key);
        return (bool)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    [Fact]
    public async Task deletes_expired_keys_without_any_request()
    {
        await InsertKeyAsync("expired-1", TimeSpan.FromHours(25));

        await Waits.Until(async () => !await ExistsAsync("expired-1"), TimeSpan.FromSeconds(30), "the expired key to be purged");
    }

    [Fact]
    public async Task keeps_keys_within_their_retention()
    {
        await InsertKeyAsync("fresh-1", TimeSpan.FromHours(23));
        await InsertKeyAsync("expired-2", TimeSpan.FromHours(25));

        await Waits.Until(async () => !await ExistsAsync("expired-2"), TimeSpan.FromSeconds(30), "the expired key to be purged");

        (await ExistsAsync("fresh-1")).ShouldBeTrue("a key younger than Idempotency:Retention (24 h) is kept");
    }
}
