using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using EventStore.Api.Telemetry;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

public sealed class KnownUsersService(PostgresServer postgres) : OwnWorkspaceFixture(postgres)
{
    public override string Workspace => "known-users";
}

/// <summary>
/// A group whose users and names this node already knows is decided on its copy of them, without reading, and checked by
/// its transaction's first statement (TrackingBatch.StageKnown, KnownStateCheck). Whenever the copy is out of date (an
/// email moved, a user erased, an event already stored) the group is decided again on what it reads: the outcome is
/// always the one the stored state gives.
/// </summary>
public sealed class when_a_group_is_decided_on_what_the_node_knows : IClassFixture<KnownUsersService>, IDisposable
{
    private readonly KnownUsersService api;
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<(string Outcome, string Basis)> commits = new();

    public when_a_group_is_decided_on_what_the_node_knows(KnownUsersService api)
    {
        this.api = api;
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(EventStoreMetrics).TypeHandle);
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EventStoreMetrics.MeterName && instrument.Name == "eventstore.append.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var tagged = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            if (tagged.GetValueOrDefault(EventStoreMetrics.WorkspaceTag) == api.Workspace)
            {
                commits.Enqueue((tagged[EventStoreMetrics.OutcomeTag]!, tagged[EventStoreMetrics.BasisTag]!));
            }
        });
        listener.Start();
    }

    public void Dispose() => listener.Dispose();

    private async Task Track(object body)
    {
        var response = await api.Host.PostEvent(body, api.Token);
        response.Status.ShouldBe(HttpStatusCode.Accepted, response.Body);
    }

    [Fact]
    public async Task commits_a_known_users_event_on_the_nodes_copy()
    {
        await Track(new { event_name = "known-1", created_at = Scenarios.Now, user_id = "known-1" });
        // The name was new: the node reads the catalog once more after admitting it.
        await Track(new { event_name = "known-1", created_at = Scenarios.Now + 1, user_id = "known-1" });
        commits.Clear();

        await Track(new { event_name = "known-1", created_at = Scenarios.Now + 2, user_id = "known-1" });

        commits.ToList().ShouldBe([(EventStoreMetrics.Committed, EventStoreMetrics.KnownBasis)], "one transaction, decided on what the node knew and checked by it");
        (await api.TrackedIn(api.Workspace)).Count(e => e.UserId == "known-1").ShouldBe(3);
    }

    [Fact]
    public async Task records_the_email_the_user_has_now_when_the_copy_holds_an_older_one()
    {
        await Track(new { event_name = "known-2", created_at = Scenarios.Now, user_id = "known-2", email = "old-2@example.org" });
        // The group that moves the email learns the user as it read it, with the old email: the node's copy is now stale.
        await Track(new { event_name = "known-2", created_at = Scenarios.Now + 1, user_id = "known-2", email = "new-2@example.org" });

        await Track(new { event_name = "known-2", created_at = Scenarios.Now + 2, user_id = "known-2" });

        var last = (await api.TrackedIn(api.Workspace)).Last(e => e.UserId == "known-2");
        last.Email.ShouldBe("new-2@example.org", "the event carries the identity stored when it was committed, not the node's copy of it");
    }

    [Fact]
    public async Task starts_a_new_timeline_for_a_user_erased_since_the_node_learnt_it()
    {
        await Track(new { event_name = "known-3", created_at = Scenarios.Now, user_id = "known-3" });
        var erased = (await api.TimelinesIn(api.Workspace)).Single(t => t.UserId == "known-3").Id;
        var eraser = (await api.Host.CreateToken(api.Workspace, "users:erase")).Secret;
        (await api.Host.Send(HttpMethod.Post, "/users/erase", """{"user_id":"known-3"}""", eraser)).Status.ShouldBe(HttpStatusCode.OK);

        await Track(new { event_name = "known-3", created_at = Scenarios.Now + 1, user_id = "known-3" });

        var timeline = (await api.TimelinesIn(api.Workspace)).Single(t => t.UserId == "known-3");
        timeline.Id.ShouldNotBe(erased, "an erased timeline never gets its stream back (ADR 0010)");
        (await api.TrackedIn(api.Workspace)).Where(e => e.UserId == "known-3").Select(e => e.TimelineId).ShouldBe([timeline.Id]);
    }

    [Fact]
    public async Task finds_an_event_already_stored_a_duplicate()
    {
        await Track(new { event_name = "known-4", created_at = Scenarios.Now, user_id = "known-4" });
        await Track(new { event_name = "known-4", created_at = Scenarios.Now + 1, user_id = "known-4" });

        await Track(new { event_name = "known-4", created_at = Scenarios.Now, user_id = "known-4" });

        (await api.TrackedIn(api.Workspace)).Count(e => e.UserId == "known-4").ShouldBe(2, "the repeat of the first event is not stored again");
        api.Logs.Entries.ShouldNotContain(l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error, "a copy found out of date is no error");
    }
}
