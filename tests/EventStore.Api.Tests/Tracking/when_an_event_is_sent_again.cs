using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Tracking;

public sealed class when_an_event_is_sent_again(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task answers_202_and_stores_it_once()
    {
        var body = Scenarios.Event(name: "placed-order", userId: "dup-1", createdAt: 1_700_000_100);

        (await api.Host.PostEvent(body)).Status.ShouldBe(HttpStatusCode.Accepted);
        (await api.Host.PostEvent(body)).Status.ShouldBe(HttpStatusCode.Accepted);

        (await api.TrackedIn("acme")).Count(e => e.UserId == "dup-1").ShouldBe(1);
    }

    [Fact]
    public async Task keeps_the_first_write_and_its_metadata()
    {
        await api.Host.PostEvent(Scenarios.Event(name: "placed-order", userId: "dup-2", createdAt: 1_700_000_200, metadata: new { order = "first" }));
        await api.Host.PostEvent(Scenarios.Event(name: "placed-order", userId: "dup-2", createdAt: 1_700_000_200, metadata: new { order = "second" }));

        var stored = (await api.TrackedIn("acme")).Single(e => e.UserId == "dup-2");
        stored.Metadata.Single().Value.ShouldBe(new EventStore.Domain.Tracking.MetadataValue.Text("first"));
    }

    [Fact]
    public async Task treats_names_that_normalize_alike_as_the_same_event()
    {
        await api.Host.PostEvent(Scenarios.Event(name: "Completed.Order", userId: "dup-3", createdAt: 1_700_000_300));
        await api.Host.PostEvent(Scenarios.Event(name: "completed$order", userId: "dup-3", createdAt: 1_700_000_300));
        await api.Host.PostEvent(Scenarios.Event(name: "completed-order", userId: "dup-3", createdAt: 1_700_000_300));

        (await api.TrackedIn("acme")).Count(e => e.UserId == "dup-3").ShouldBe(1);
    }

    [Fact]
    public async Task stores_the_same_name_at_another_time_as_another_event()
    {
        await api.Host.PostEvent(Scenarios.Event(name: "placed-order", userId: "dup-4", createdAt: 1_700_000_400));
        await api.Host.PostEvent(Scenarios.Event(name: "placed-order", userId: "dup-4", createdAt: 1_700_000_401));

        (await api.TrackedIn("acme")).Count(e => e.UserId == "dup-4").ShouldBe(2);
    }

    [Fact]
    public async Task stores_identical_requests_sent_concurrently_once()
    {
        var body = Scenarios.Event(name: "placed-order", userId: "dup-5", createdAt: 1_700_000_500);

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => api.Host.PostEvent(body)));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", responses.Select(r => $"{r.Status} {r.Body}")));
        (await api.TrackedIn("acme")).Count(e => e.UserId == "dup-5").ShouldBe(1);
    }

    [Fact]
    public async Task stores_concurrent_retries_of_many_events_for_one_user_exactly_once_each()
    {
        var bodies = Enumerable.Range(0, 30).Select(i => Scenarios.Event(name: $"step-{i % 3}", userId: "dup-6", createdAt: 1_700_001_000 + i)).ToList();

        var responses = await Task.WhenAll(bodies.Concat(bodies).Concat(bodies).Select(b => api.Host.PostEvent(b)));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Accepted, string.Join(" | ", responses.Where(r => r.Status != HttpStatusCode.Accepted).Select(r => $"{r.Status} {r.Body}")));
        var stored = (await api.TrackedIn("acme")).Where(e => e.UserId == "dup-6").ToList();
        stored.Count.ShouldBe(30);
        stored.Select(e => (e.Name, e.CreatedAt)).Distinct().Count().ShouldBe(30);
    }
}
