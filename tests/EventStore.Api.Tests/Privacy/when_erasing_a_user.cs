using System.Net;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Domain.Privacy;
using EventStore.Domain.Timelines;

namespace EventStore.Api.Tests.Privacy;

public sealed class when_erasing_a_user(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task answers_200_with_the_number_of_events_removed()
    {
        await api.SeedUser("er-answer");

        var json = (await api.Erase(new { user_id = "er-answer" })).Ok();

        json["type"]!.GetValue<string>().ShouldBe("user.erasure");
        json["erased"]!.GetValue<bool>().ShouldBeTrue();
        json["events_removed"]!.GetValue<long>().ShouldBe(2, "the two tracked events the user had");
    }

    [Fact]
    public async Task removes_every_row_that_holds_the_user()
    {
        var timelineId = await api.SeedUser("er-rows");
        var before = await api.TracesOf("acme", timelineId);
        before.ShouldBe(new Traces(Events: 4, Streams: 1, Snapshots: 1, TimelineEntries: 2, EventStats: 2, Occurrences: 3, SegmentChanges: 1),
            "seeding must have left a trace in every table, or the erasure proves nothing");

        (await api.Erase(new { user_id = "er-rows" })).Status.ShouldBe(HttpStatusCode.OK);

        (await api.TracesOf("acme", timelineId)).ShouldBe(Traces.None, "events, stream, snapshot, timeline entries, stats, occurrence keys and segment changes must all be gone");
    }

    [Fact]
    public async Task answers_404_for_the_erased_users_timeline_summary_and_export()
    {
        await api.SeedUser("er-404");

        (await api.Erase(new { user_id = "er-404" })).Status.ShouldBe(HttpStatusCode.OK);

        (await api.Host.Get("/events?type=user&user_id=er-404")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
        (await api.Host.Get("/events?type=user&email=er-404@example.org")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
        (await api.Host.Get("/events?type=user&user_id=er-404&summary=true")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
        (await api.Export("user_id=er-404")).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task removes_the_user_from_segment_user_lists_and_counts()
    {
        await api.Track("er-seg-a", "er-seg-name", 1_700_000_000);
        await api.Track("er-seg-a", "er-seg-name", 1_700_000_001);
        await api.Track("er-seg-b", "er-seg-name", 1_700_000_002);

        (await api.Erase(new { user_id = "er-seg-a" })).Status.ShouldBe(HttpStatusCode.OK);

        var segment = (await api.Host.Get("/segments/er-seg-name")).Ok();
        segment["user_count"]!.GetValue<long>().ShouldBe(1, segment.ToJsonString());
        segment["event_count"]!.GetValue<long>().ShouldBe(1, segment.ToJsonString());
        var users = (await api.Host.Get("/segments/er-seg-name/users")).Ok();
        users["users"]!.AsArray().Select(u => u!["user_id"]!.GetValue<string>()).ShouldBe(["er-seg-b"], users.ToJsonString());
        users["total_count"]!.GetValue<long>().ShouldBe(1);
        var search = (await api.Host.Send(HttpMethod.Post, "/segments/search", """{"query":{"event_name":"er-seg-name"}}""")).Ok();
        search["users"]!.AsArray().Select(u => u!["user_id"]!.GetValue<string>()).ShouldBe(["er-seg-b"], search.ToJsonString());
    }

    [Fact]
    public async Task removes_the_users_events_from_the_event_name_counts()
    {
        await api.Track("er-names-a", "er-names-only-a", 1_700_000_000);
        await api.Track("er-names-a", "er-names-only-a", 1_700_000_001);

        (await api.Erase(new { user_id = "er-names-a" })).Status.ShouldBe(HttpStatusCode.OK);

        var names = (await api.Host.Get("/event-names?per_page=100")).Ok()["event_names"]!.AsArray();
        var name = names.SingleOrDefault(n => n!["name"]!.GetValue<string>() == "er-names-only-a");
        name.ShouldNotBeNull("the name itself is workspace vocabulary, not personal data, and stays registered");
        name["user_count"]!.GetValue<long>().ShouldBe(0, name.ToJsonString());
        name["event_count"]!.GetValue<long>().ShouldBe(0, name.ToJsonString());
    }

    [Fact]
    public async Task finds_the_user_by_email_case_insensitively()
    {
        var timelineId = await api.SeedUser("er-email");

        (await api.Erase(new { email = "ER-Email@Example.org" })).Status.ShouldBe(HttpStatusCode.OK);

        (await api.TracesOf("acme", timelineId)).ShouldBe(Traces.None);
    }

    [Fact]
    public async Task finds_the_user_by_intercom_user_id()
    {
        var timelineId = await api.SeedUser("er-id");

        (await api.Erase(new { intercom_user_id = timelineId })).Status.ShouldBe(HttpStatusCode.OK);

        (await api.TracesOf("acme", timelineId)).ShouldBe(Traces.None);
    }

    [Fact]
    public async Task answers_404_not_found_for_an_unknown_user()
    {
        (await api.Erase(new { user_id = "er-nobody" })).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task answers_404_when_the_user_was_already_erased()
    {
        await api.SeedUser("er-twice");
        (await api.Erase(new { user_id = "er-twice" })).Status.ShouldBe(HttpStatusCode.OK);

        (await api.Erase(new { user_id = "er-twice" })).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task refuses_a_body_that_names_nobody()
    {
        (await api.Erase(new { reason = "gdpr" })).ShouldBeError(HttpStatusCode.BadRequest, "parameter_not_found", "user_id");
    }

    [Fact]
    public async Task leaves_other_users_of_the_workspace_untouched()
    {
        await api.SeedUser("er-victim");
        var neighbour = await api.SeedUser("er-neighbour");
        var before = await api.TracesOf("acme", neighbour);
        var timeline = (await api.Host.Get("/events?type=user&user_id=er-neighbour")).Body;

        (await api.Erase(new { user_id = "er-victim" })).Status.ShouldBe(HttpStatusCode.OK);

        (await api.TracesOf("acme", neighbour)).ShouldBe(before);
        (await api.Host.Get("/events?type=user&user_id=er-neighbour")).Json["events"]!.ToJsonString()
            .ShouldBe(System.Text.Json.Nodes.JsonNode.Parse(timeline)!["events"]!.ToJsonString());
    }

    [Fact]
    public async Task leaves_the_same_user_id_in_another_workspace_untouched()
    {
        await api.SeedUser("er-shared");
        var globex = await api.SeedUser("er-shared", "globex", ApiFixture.GlobexToken);
        var before = await api.TracesOf("globex", globex);

        (await api.Erase(new { user_id = "er-shared" })).Status.ShouldBe(HttpStatusCode.OK);

        (await api.TracesOf("globex", globex)).ShouldBe(before, "an acme token erases in acme only");
        (await api.Host.Get("/events?type=user&user_id=er-shared", ApiFixture.GlobexToken)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task starts_a_fresh_timeline_for_events_sent_after_the_erasure()
    {
        var erased = await api.SeedUser("er-fresh");
        (await api.Erase(new { user_id = "er-fresh" })).Status.ShouldBe(HttpStatusCode.OK);

        // The same user_id, email and (name, created_at) as before: nothing of the old timeline may answer for them.
        await api.Track("er-fresh", "signed-up", 1_700_000_000, email: "er-fresh@example.org");

        var json = (await api.Host.Get("/events?type=user&user_id=er-fresh")).Ok();
        var events = json["events"]!.AsArray();
        events.Count.ShouldBe(1, "only the event sent after the erasure");
        var fresh = events[0]!["intercom_user_id"]!.GetValue<string>();
        fresh.ShouldNotBe(erased, "a new intercom_user_id");
        events[0]!["email"]!.GetValue<string>().ShouldBe("er-fresh@example.org");
        (await api.Host.Get("/events?type=user&user_id=er-fresh&summary=true")).Ok()["events"]!.AsArray().Count.ShouldBe(1, "no summary left over from before");
        (await api.TracesOf("acme", erased)).ShouldBe(Traces.None);
    }

    [Fact]
    public async Task records_an_audit_event_without_personal_data()
    {
        var timelineId = await api.SeedUser("er-audit-7f3a");

        (await api.Erase(new { user_id = "er-audit-7f3a" })).Status.ShouldBe(HttpStatusCode.OK);

        var audit = (await api.EventsIn("acme")).Where(e => e.StreamKey == UserErased.StreamKey).Select(e => e.Data).OfType<UserErased>().ToList();
        audit.ShouldContain(e => e.Workspace == "acme" && e.EventCount == 2, "one record per erasure, with what was removed");
        var serialized = JsonSerializer.Serialize(audit);
        serialized.ShouldNotContain("er-audit-7f3a", Case.Insensitive, "the audit trail must not name the user");
        serialized.ShouldNotContain("@example.org", Case.Insensitive, "nor their email");
        serialized.ShouldNotContain(timelineId, Case.Insensitive, "nor the erased timeline id");
    }

    [Fact]
    public async Task leaves_the_audit_stream_out_of_the_user_read_models()
    {
        await api.SeedUser("er-audit-models");

        (await api.Erase(new { user_id = "er-audit-models" })).Status.ShouldBe(HttpStatusCode.OK);

        (await api.TimelinesIn("acme")).ShouldNotContain(t => t.Id == UserErased.StreamKey, "the erasures stream is not a user");
        (await api.OrphansIn("acme")).ShouldBeEmpty();
    }
}
