using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Timelines;
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
        await using var writer = await Database.OpenAsync(api.ConnectionString);
        await using var append = await api.BeginAppendAsync(writer, "acme", timeline.Id, new EmailAttached("acme", timeline.Id, "moved@example.org", null));

        var job = await StartRebuildAsync(api, "UserTimeline");
        await Waits.Until(async () => await Database.WaitingOnLocksAsync(api.ConnectionString, "for update") > 0,
            TimeSpan.FromSeconds(30), "the rebuild to wait for the stream's row, after its scan");
        await append.CommitAsync(cancellation);
        var finished = await WaitForAsync(api, job);

        ((string)finished["state"]!).ShouldBe("succeeded", finished.ToJsonString());
        var rebuilt = (await api.TimelinesIn("acme")).Single(t => t.Id == timeline.Id);
        rebuilt.Email.ShouldBe("moved@example.org", "the stream moved on after the scan, so its page must read it again");
    }
}
