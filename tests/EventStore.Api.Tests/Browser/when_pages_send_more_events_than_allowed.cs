using System.Globalization;
using System.Net;
using EventStore.Api.Tests.Infrastructure;
using static EventStore.Api.Tests.Browser.BrowserWorkspacesService;

namespace EventStore.Api.Tests.Browser;

/// <summary>Browser events are limited per visitor and per workspace, apart from the workspace's server-side budget.</summary>
public sealed class when_pages_send_more_events_than_allowed(BrowserRateLimitedService api) : IClassFixture<BrowserRateLimitedService>
{
    [Fact]
    public async Task refuses_a_visitor_beyond_its_budget_with_429_and_retry_after_and_keeps_the_workspace_open()
    {
        var within = await api.SendBatch("acme", Batch("busy-visitor", [.. Enumerable.Range(0, BrowserRateLimitedService.PerVisitor).Select(i => Event($"click-{i}"))]));
        var beyond = await api.SendBatch("acme", Batch("busy-visitor", Event("one-more")));
        var neighbour = await api.SendBatch("acme", Batch("calm-visitor", Event("one")));

        within.Json["accepted"]!.GetValue<int>().ShouldBe(BrowserRateLimitedService.PerVisitor, within.Body);
        beyond.ShouldBeError(HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        long.Parse(beyond.Headers["Retry-After"], CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        beyond.Headers["Access-Control-Allow-Origin"].ShouldBe(AcmePage, "the widget reads Retry-After");
        neighbour.Status.ShouldBe(HttpStatusCode.OK, "another visitor of the same workspace has a budget of its own");
        (await api.Host.PostEvent(Scenarios.Event(name: "server-side", userId: "busy-visitor"))).Status.ShouldBe(HttpStatusCode.Accepted,
            "the customer's server keeps its own budget");
    }

    [Fact]
    public async Task refuses_a_workspace_beyond_its_budget_whoever_the_visitor()
    {
        var statuses = new List<HttpStatusCode>();
        for (var visitor = 0; visitor < BrowserRateLimitedService.PerWorkspace + 1; visitor++)
        {
            statuses.Add((await api.SendBatch("globex", new { user_id = $"visitor-{visitor}", events = new[] { Event("browsed") } }, GlobexPage)).Status);
        }

        statuses.Take(BrowserRateLimitedService.PerWorkspace).ShouldAllBe(s => s == HttpStatusCode.OK);
        statuses.Last().ShouldBe(HttpStatusCode.TooManyRequests, "the workspace's budget covers all its visitors together");
    }
}
