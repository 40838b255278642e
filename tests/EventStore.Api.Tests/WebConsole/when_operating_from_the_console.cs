using System.Net;
using EventStore.Api.Tests.Browser;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EventStore.Api.Tests.WebConsole;

[Collection(ConsoleTests.Name)]
public sealed class when_operating_from_the_console(ConsoleService service, Chromium chromium)
{
    [Fact]
    public async Task it_shows_health_and_every_projection()
    {
        await using var browser = await service.SignInAsync(chromium, ApiFixture.AdminToken);
        var page = browser.Page;

        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Health" })).ToContainTextAsync("Healthy");
        var projections = page.GetByRole(AriaRole.Table, new() { Name = "Projections" });
        foreach (var name in new[] { "UserTimeline", "EventNameCatalog", "Timeline", "EventStats", "EventActivity", "SegmentChanges" })
        {
            await Expect(projections).ToContainTextAsync(name);
        }

        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_rebuild_shows_its_progress_until_it_is_done()
    {
        await using var browser = await service.SignInAsync(chromium, ApiFixture.AdminToken);
        var page = browser.Page;

        await page.GetByLabel("Projection", new() { Exact = true }).SelectOptionAsync("all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start rebuild" }).ClickAsync();

        var bar = page.Locator("progress#rebuild-bar");
        await Expect(bar).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = 60_000 });
        (await bar.GetAttributeAsync("value")).ShouldBe(await bar.GetAttributeAsync("max"), "a finished rebuild fills the bar");
        await Expect(page.Locator(".rebuild-figures")).ToContainTextAsync("Done");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Recent rebuilds" })).ToContainTextAsync("succeeded");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_token_is_created_shown_once_copied_and_revoked()
    {
        await using var browser = await service.SignInAsync(chromium, ApiFixture.AdminToken,
            options => options.Permissions = ["clipboard-read", "clipboard-write"]);
        var page = browser.Page;
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Create a token" });
        await form.GetByLabel("Workspace").FillAsync("acme");
        await form.GetByLabel("Name").FillAsync("console test token");

        await form.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();

        var secret = await page.GetByLabel("Secret").InputValueAsync();
        secret.ShouldStartWith("es_");
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy", Exact = true }).ClickAsync();
        (await page.EvaluateAsync<string>("() => navigator.clipboard.readText()")).ShouldBe(secret);
        using (var client = service.Client(secret))
        {
            (await client.GetAsync("/me", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Issued access tokens" })).ToContainTextAsync("console test token");
        (await page.Locator("body").InnerTextAsync()).ShouldNotContain(secret, customMessage: "the secret is shown once, never listed");

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke console test token" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke console test token" })).ToHaveCountAsync(0);
        using (var client = service.Client(secret))
        {
            (await client.GetAsync("/me", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        browser.ShouldHaveNoErrors();
    }
}
