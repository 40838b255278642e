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
