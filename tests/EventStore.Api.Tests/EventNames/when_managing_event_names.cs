using System.Net;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Tracking;

namespace EventStore.Api.Tests.EventNames;

public sealed class when_managing_event_names(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task Track(string name, string userId = "names-user", long? createdAt = null, string token = ApiFixture.AcmeToken) =>
        (await api.Host.PostEvent(Scenarios.Event(name: name, userId: userId, createdAt: createdAt), token)).Status.ShouldBe(HttpStatusCode.Accepted);

    [Fact]
    public async Task sets_a_description_by_the_normalized_name()
    {
        await Track("completed-order");

        var response = await api.Host.Send(HttpMethod.Put, "/event-names/Completed.Order", """{"description":"Checked out"}""");

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        response.Json["name"]!.GetValue<string>().ShouldBe("completed-order");
        response.Json["description"]!.GetValue<string>().ShouldBe("Checked out");
        response.Json["type"]!.GetValue<string>().ShouldBe("event_name");
    }

    [Fact]
    public async Task clears_a_description_set_to_null()
    {
        await Track("to-clear");
        (await api.Host.Send(HttpMethod.Put, "/event-names/to-clear", """{"description":"Soon gone"}""")).Status.ShouldBe(HttpStatusCode.OK);

        var response = await api.Host.Send(HttpMethod.Put, "/event-names/to-clear", """{"description":null}""");

        response.Status.ShouldBe(HttpStatusCode.OK, response.Body);
        response.Json.AsObject().ContainsKey("description").ShouldBeTrue(response.Body);
        response.Json["description"].ShouldBeNull();
        var listed = (await api.Host.Get("/event-names")).Json["event_names"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == "to-clear")!;
        listed["description"].ShouldBeNull("the registry no longer has a description for it");
        var summary = (await api.Host.Get("/events?type=user&user_id=names-user&summary=true")).Json["events"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "to-clear")!;
        summary.AsObject().ContainsKey("description").ShouldBeTrue();
        summary["description"].ShouldBeNull("the summary shows the cleared description as null");
    }

    [Fact]
    public async Task answers_404_when_describing_a_name_never_tracked() =>
        (await api.Host.Send(HttpMethod.Put, "/event-names/never-seen", """{"description":"x"}""")).ShouldBeError(HttpStatusCode.NotFound, "not_found");

    [Fact]
    public async Task refuses_a_description_that_is_not_a_string() =>
        (await api.Host.Send(HttpMethod.Put, "/event-names/x", """{"description":42}""")).ShouldBeError(HttpStatusCode.BadRequest, "type_mismatch", "description");

    [Fact]
    public async Task archives_and_unarchives_a_name()
    {
        await Track("to-archive");

        var archived = await api.Host.Send(HttpMethod.Post, "/event-names/to-archive/archive");
        archived.Status.ShouldBe(HttpStatusCode.OK, archived.Body);
        archived.Json["archived"]!.GetValue<bool>().ShouldBeTrue();

        var unarchived = await api.Host.Send(HttpMethod.Post, "/event-names/to-archive/unarchive");
        unarchived.Json["archived"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task keeps_recording_events_with_an_archived_name()
    {
        await Track("archived-but-used", createdAt: 1_700_000_000);
        await api.Host.Send(HttpMethod.Post, "/event-names/archived-but-used/archive");

        await Track("archived-but-used", createdAt: 1_700_000_001);

        (await api.TrackedIn("acme")).Count(e => e.Name == "archived-but-used").ShouldBe(2);
    }
}

public sealed class when_archiving_frees_a_slot(ThreeNameCap api) : IClassFixture<ThreeNameCap>
{
    [Fact]
    public async Task lets_a_new_name_in_after_an_archive_and_refuses_to_unarchive_into_a_full_workspace()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            (await api.Host.PostEvent(Scenarios.Event(name: name, userId: "slots"))).Status.ShouldBe(HttpStatusCode.Accepted);
        }

        (await api.Host.PostEvent(Scenarios.Event(name: "d", userId: "slots"))).Status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await api.Host.Send(HttpMethod.Post, "/event-names/a/archive")).Status.ShouldBe(HttpStatusCode.OK);
        (await api.Host.PostEvent(Scenarios.Event(name: "d", userId: "slots"))).Status.ShouldBe(HttpStatusCode.Accepted, "archiving freed a slot");

        (await api.Host.Send(HttpMethod.Post, "/event-names/a/unarchive")).ShouldBeError(HttpStatusCode.UnprocessableEntity, "unprocessable_entity");
    }
}

public sealed class when_listing_event_names(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task lists_every_name_with_its_counts_description_and_archived_state()
    {
        foreach (var (name, user, at) in new[] { ("b-listed", "u1", 1_700_000_000L), ("b-listed", "u2", 1_700_000_100L), ("b-listed", "u2", 1_700_000_200L), ("a-archived", "u1", 1_700_000_000L) })
        {
            (await api.Host.PostEvent(Scenarios.Event(name: name, userId: user, createdAt: at))).Status.ShouldBe(HttpStatusCode.Accepted);
        }

        await api.Host.Send(HttpMethod.Put, "/event-names/b-listed", """{"description":"Listed it"}""");
        await api.Host.Send(HttpMethod.Post, "/event-names/a-archived/archive");

        var json = (await api.Host.Get("/event-names")).Json;

        json["type"]!.GetValue<string>().ShouldBe("event_name.list");
        // Other tests of this class add names of their own: look at this test's two, in the listed order.
        var names = json["event_names"]!.AsArray().Where(n => n!["name"]!.GetValue<string>() is "a-archived" or "b-listed").ToList();
        names.Select(n => n!["name"]!.GetValue<string>()).ShouldBe(["a-archived", "b-listed"], "sorted by name");
        names[0]!["archived"]!.GetValue<bool>().ShouldBeTrue();
        var listed = names[1]!;
        listed["type"]!.GetValue<string>().ShouldBe("event_name");
        listed["description"]!.GetValue<string>().ShouldBe("Listed it");
        listed["user_count"]!.GetValue<long>().ShouldBe(2);
        listed["event_count"]!.GetValue<long>().ShouldBe(3);
        listed["first"]!.GetValue<string>().ShouldBe("2023-11-14T22:13:20.000Z");
    }

    [Fact]
    public async Task hides_archived_names_from_segments_unless_asked()
    {
        (await api.Host.PostEvent(Scenarios.Event(name: "hidden-when-archived", userId: "u3"))).Status.ShouldBe(HttpStatusCode.Accepted);
        await api.Host.Send(HttpMethod.Post, "/event-names/hidden-when-archived/archive");

        (await api.Host.Get("/segments?per_page=100")).Json["segments"]!.AsArray().ShouldNotContain(s => s!["name"]!.GetValue<string>() == "hidden-when-archived");
        (await api.Host.Get("/segments?per_page=100&include_archived=true")).Json["segments"]!.AsArray().ShouldContain(s => s!["name"]!.GetValue<string>() == "hidden-when-archived");
    }

    [Fact]
    public async Task shows_nothing_of_one_workspace_to_another()
    {
        (await api.Host.PostEvent(Scenarios.Event(name: "acme-secret", userId: "u4"))).Status.ShouldBe(HttpStatusCode.Accepted);

        (await api.Host.Get("/event-names", ApiFixture.GlobexToken)).Json["event_names"]!.AsArray().ShouldNotContain(n => n!["name"]!.GetValue<string>() == "acme-secret");
        (await api.Host.Send(HttpMethod.Put, "/event-names/acme-secret", """{"description":"x"}""", ApiFixture.GlobexToken)).ShouldBeError(HttpStatusCode.NotFound, "not_found");
    }
}
