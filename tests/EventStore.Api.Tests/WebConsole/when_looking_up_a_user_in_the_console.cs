using EventStore.Api.Tests.Browser;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EventStore.Api.Tests.WebConsole;

[Collection(ConsoleTests.Name)]
public sealed class when_looking_up_a_user_in_the_console(ConsoleService service, Chromium chromium)
{
    private static async Task FindAsync(IPage page, string by, string value)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await page.GetByLabel("Find by").SelectOptionAsync(by);
        await page.GetByLabel("Value").FillAsync(value);
        await page.GetByRole(AriaRole.Button, new() { Name = "Find" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Timeline" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task it_shows_identity_summary_and_every_metadata_type_as_what_it_is()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;

        await FindAsync(page, "user_id", ConsoleService.TypedUser);

        await Expect(page.Locator(".identity")).ToContainTextAsync("typed@example.org");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Events by name" })).ToContainTextAsync("placed-order");
        var order = page.Locator(".event", new() { HasText = "placed-order" }).Locator(".metadata");
        await Expect(order.Locator("data.money")).ToHaveTextAsync("€349.99");
        var article = order.GetByRole(AriaRole.Link, new() { Name = "https://example.org/ab1de.html" });
        await Expect(article).ToHaveAttributeAsync("href", "https://example.org/ab1de.html");
        await Expect(article).ToHaveAttributeAsync("rel", "noopener noreferrer nofollow");
        await Expect(article).ToHaveAttributeAsync("target", "_blank");
        await Expect(order.GetByRole(AriaRole.Link, new() { Name = "the dude abides" })).ToHaveAttributeAsync("href", "https://example.org/guide");
        await Expect(order.Locator("time")).ToHaveAttributeAsync("datetime", "2014-02-10T12:44:32.000Z");
        await Expect(order).ToContainTextAsync("3.5");
        await Expect(order).ToContainTextAsync("desktop");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task markup_in_event_names_and_metadata_shows_as_text()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;

        await FindAsync(page, "email", "typed@example.org");

        var entry = page.Locator(".event", new() { HasText = "onerror" });
        await Expect(entry.Locator(".event-name")).ToHaveTextAsync(ConsoleService.Markup);
        await Expect(entry.Locator(".metadata dd")).ToHaveTextAsync(ConsoleService.Markup);
        (await page.Locator("main img").CountAsync()).ShouldBe(0, "no element was made from the markup");
        (await page.EvaluateAsync<bool>("() => window.injected === 1")).ShouldBeFalse();
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task older_events_load_as_the_timeline_is_scrolled()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;
        await FindAsync(page, "user_id", ConsoleService.BusyUser);
        var events = page.Locator(".timeline .event");
        await Expect(events).ToHaveCountAsync(25);

        for (var attempt = 0; attempt < 10 && await events.CountAsync() < ConsoleService.BusyEvents; attempt++)
        {
            await page.Locator(".sentinel").ScrollIntoViewIfNeededAsync();
            await page.WaitForTimeoutAsync(200);
        }

        await Expect(events).ToHaveCountAsync(ConsoleService.BusyEvents);
        var ids = await page.Locator(".timeline .event").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.eventId)");
        ids.Distinct().Count().ShouldBe(ConsoleService.BusyEvents, "every event once");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Load older events" })).ToBeHiddenAsync();
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_new_event_appears_without_reloading()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;
        await FindAsync(page, "user_id", ConsoleService.TypedUser);
        var intercomId = await page.Locator(".identity code").TextContentAsync();

        await service.TrackAsync(new { event_name = "live-event", created_at = ConsoleService.Now, user_id = ConsoleService.TypedUser, metadata = new { source = "live" } });

        var fresh = page.Locator(".event.new", new() { HasText = "live-event" });
        await Expect(fresh).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Events by name" })).ToContainTextAsync("live-event");
        await FindAsync(page, "intercom_user_id", intercomId!);
        await Expect(page.Locator(".event", new() { HasText = "live-event" })).ToHaveCountAsync(1);
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task an_unknown_user_is_said_so()
    {
        await using var browser = await service.SignInAsync(chromium);
        browser.Expect("status of 404");
        var page = browser.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await page.GetByLabel("Value").FillAsync("nobody-at-all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Find" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("No user has the user_id “nobody-at-all”");
        browser.ShouldHaveNoErrors();
    }
}
