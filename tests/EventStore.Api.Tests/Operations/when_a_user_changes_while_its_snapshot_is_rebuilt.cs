using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using Marten;
using Npgsql;
using static EventStore.Api.Tests.Operations.OperationsScenarios;

namespace EventStore.Api.Tests.Operations;

/// <summary>
/// The UserTimeline rebuild reads the log in one scan, then rewrites the snapshots a page of streams at a time under
/// the streams' row locks. A stream that moves on between the scan and its page must be read again under the lock:
/// here an email is attached (by a transaction that holds the stream's row, as an append does) after the scan, and the
/// rebuilt snapshot must know it.
/// </summary>
public sealed class when_a_user_changes_while_its_snapshot_is_rebuilt(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task the_snapshot_includes_the_change()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await api.Host.PostEvent(Scenarios.Event(name: "signed-up", userId: "moving-1"));
        var timeline = (await api.TimelinesIn("acme")).Single(t => t.UserId == "moving-1");

        // An append of an identity event that holds the stream's row until the rebuild waits for it.
        await using var writer = new NpgsqlConnection(api.ConnectionString);
        await writer.OpenAsync(cancellation);
        await using var append = await writer.BeginTransactionAsync(cancellation);
        var version = await ScalarOnAsync<long>(writer, "select version from eventstore.mt_streams where tenant_id = 'acme' and id = $1 for update", timeline.Id);
        var attached = new EmailAttached("acme", timeline.Id, "moved@example.org", null);
        await ScalarOnAsync<object>(writer,
            "insert into eventstore.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
            "values (nextval('eventstore.mt_events_sequence'), $1, $2, $3, $4::jsonb, $5, 'acme', now(), $6, false)",
            Guid.NewGuid(), timeline.Id, version + 1, api.Store.Options.Serializer().ToJson(attached), typeof(EmailAttached).GetEventTypeName(),
            $"{typeof(EmailAttached).FullName}, {typeof(EmailAttached).Assembly.GetName().Name}");
        await ScalarOnAsync<object>(writer, "update eventstore.mt_streams set version = $2 where tenant_id = 'acme' and id = $1", timeline.Id, version + 1);

        var job = await StartRebuildAsync(api, "UserTimeline");
        await ReliabilityScenarios.Eventually(async () => await ScalarAsync<long>(api,
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%for update%' and pid <> pg_backend_pid()") > 0,
            TimeSpan.FromSeconds(30), "the rebuild to wait for the stream's row, after its scan");
        await append.CommitAsync(cancellation);
        var finished = await WaitForAsync(api, job);

        ((string)finished["state"]!).ShouldBe("succeeded", finished.ToJsonString());
        var rebuilt = (await api.TimelinesIn("acme")).Single(t => t.Id == timeline.Id);
        rebuilt.Email.ShouldBe("moved@example.org", "the stream moved on after the scan, so its page must read it again");
    }
}
