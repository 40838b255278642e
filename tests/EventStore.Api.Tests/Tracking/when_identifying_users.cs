using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

/// <summary>user_id, email and the service-assigned id all identify a user; an email belongs to one user_id at most.</summary>
public sealed class when_identifying_users(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task puts_an_event_with_only_an_email_on_the_timeline_that_email_belongs_to()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-1", email = "one@example.org" });
        await api.Host.TrackAccepted(new { event_name = "b", created_at = Scenarios.Now, email = "ONE@example.org" });

        var tracked = (await api.TrackedIn("acme")).Where(e => e.Email is not null && e.Email.Equals("one@example.org", StringComparison.OrdinalIgnoreCase)).ToList();
        tracked.Count.ShouldBe(2);
        tracked.Select(e => e.TimelineId).Distinct().Count().ShouldBe(1, "emails match case-insensitively");
        tracked.ShouldAllBe(e => e.UserId == "id-1");
    }

    [Fact]
    public async Task attaches_the_email_sent_with_a_user_id_to_that_user()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-2" });
        await api.Host.TrackAccepted(new { event_name = "b", created_at = Scenarios.Now, user_id = "id-2", email = "two@example.org" });

        var timeline = (await api.TimelinesIn("acme")).Single(t => t.UserId == "id-2");
        timeline.Email.ShouldBe("two@example.org");
    }

    [Fact]
    public async Task attaches_a_user_id_to_a_timeline_known_only_by_email()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, email = "lead@example.org" });
        await api.Host.TrackAccepted(new { event_name = "b", created_at = Scenarios.Now, user_id = "id-3", email = "lead@example.org" });

        var timelines = (await api.TimelinesIn("acme")).Where(t => t.EmailKey == "lead@example.org").ToList();
        timelines.Count.ShouldBe(1, "the lead became the user; no second timeline");
        timelines[0].UserId.ShouldBe("id-3");
    }

    [Fact]
    public async Task refuses_with_409_an_email_that_belongs_to_another_user_id_and_stores_nothing()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-4", email = "four@example.org" });
        var before = (await api.EventsIn("acme")).Count;

        var response = await api.Host.PostEvent(new { event_name = "b", created_at = Scenarios.Now, user_id = "id-5", email = "four@example.org" });

        response.ShouldBeError(HttpStatusCode.Conflict, "conflict", "email");
        (await api.EventsIn("acme")).Count.ShouldBe(before);
    }

    [Fact]
    public async Task refuses_with_409_a_user_id_for_a_user_that_already_has_another_and_stores_nothing()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-9" });
        var timeline = (await api.TimelinesIn("acme")).Single(t => t.UserId == "id-9");
        var before = (await api.EventsIn("acme")).Count;

        var response = await api.Host.PostEvent(new { event_name = "b", created_at = Scenarios.Now, id = timeline.Id, user_id = "id-9-renamed" });

        response.ShouldBeError(HttpStatusCode.Conflict, "conflict", "user_id");
        (await api.EventsIn("acme")).Count.ShouldBe(before);
        (await api.TimelinesIn("acme")).Single(t => t.Id == timeline.Id).UserId.ShouldBe("id-9", "a user_id, once given, never changes");
    }

    [Fact]
    public async Task refuses_with_409_an_id_and_a_user_id_of_two_different_users_and_stores_nothing()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-10" });
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-11" });
        var first = (await api.TimelinesIn("acme")).Single(t => t.UserId == "id-10");
        var before = (await api.EventsIn("acme")).Count;

        var response = await api.Host.PostEvent(new { event_name = "b", created_at = Scenarios.Now, id = first.Id, user_id = "id-11" });

        response.ShouldBeError(HttpStatusCode.Conflict, "conflict", "user_id");
        (await api.EventsIn("acme")).Count.ShouldBe(before);
    }

    [Fact]
    public async Task refuses_a_conflicting_bulk_item_with_its_409_error_and_stores_the_others()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-12", email = "twelve@example.org" });

        var response = await api.Host.Send(HttpMethod.Post, "/events/bulk", System.Text.Json.JsonSerializer.Serialize(new object[]
        {
            new { event_name = "bulk", created_at = Scenarios.Now, user_id = "id-13" },
            new { event_name = "bulk", created_at = Scenarios.Now, user_id = "id-14", email = "twelve@example.org" },
        }));

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        var results = response.Json["results"]!.AsArray();
        results[0]!["status"]!.GetValue<string>().ShouldBe("accepted");
        results[1]!["status"]!.GetValue<string>().ShouldBe("rejected");
        results[1]!["errors"]![0]!["code"]!.GetValue<string>().ShouldBe("conflict");
        results[1]!["errors"]![0]!["field"]!.GetValue<string>().ShouldBe("email");
        var stored = await api.TrackedIn("acme");
        stored.Count(e => e.UserId == "id-13").ShouldBe(1);
        stored.ShouldNotContain(e => e.UserId == "id-14");
    }

    [Fact]
    public async Task puts_an_event_sent_with_the_service_id_on_that_timeline()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-6" });
        var timeline = (await api.TimelinesIn("acme")).Single(t => t.UserId == "id-6");

        await api.Host.TrackAccepted(new { event_name = "by-id", created_at = Scenarios.Now, id = timeline.Id });

        (await api.TrackedIn("acme")).Single(e => e.Name == "by-id").TimelineId.ShouldBe(timeline.Id);
    }

    [Fact]
    public async Task answers_404_for_an_unknown_service_id()
    {
        var response = await api.Host.PostEvent(new { event_name = "a", created_at = Scenarios.Now, id = "000000000000000000000000" });

        response.ShouldBeError(HttpStatusCode.NotFound, "not_found");
        response.Errors().Single().Message.ShouldBe("User Not Found");
    }

    [Fact]
    public async Task moves_an_email_to_the_new_address_and_frees_the_old_one()
    {
        await api.Host.TrackAccepted(new { event_name = "a", created_at = Scenarios.Now, user_id = "id-7", email = "old@example.org" });
        await api.Host.TrackAccepted(new { event_name = "b", created_at = Scenarios.Now, user_id = "id-7", email = "new@example.org" });

        await api.Host.TrackAccepted(new { event_name = "c", created_at = Scenarios.Now, user_id = "id-8", email = "old@example.org" });

        var timelines = await api.TimelinesIn("acme");
        timelines.Single(t => t.UserId == "id-7").Email.ShouldBe("new@example.org", "the email moved to the new address");
        timelines.Single(t => t.UserId == "id-8").Email.ShouldBe("old@example.org", "the old address was free for another user");
        var byNewAddress = (await api.Host.Get("/events?type=user&email=new%40example.org")).Json["events"]!.AsArray();
        byNewAddress.Select(e => e!["user_id"]!.GetValue<string>()).Distinct().ShouldBe(["id-7"], "the new address finds id-7");
        var byOldAddress = (await api.Host.Get("/events?type=user&email=old%40example.org")).Json["events"]!.AsArray();
        byOldAddress.Select(e => e!["user_id"]!.GetValue<string>()).Distinct().ShouldBe(["id-8"], "the old address now finds id-8");
    }

    [Fact]
    public async Task accepts_an_integer_user_id_as_its_decimal_string()
    {
        await api.Host.TrackAccepted(new { event_name = "numeric", created_at = Scenarios.Now, user_id = 314159 });

        (await api.TrackedIn("acme")).Single(e => e.Name == "numeric").UserId.ShouldBe("314159");
    }
}
