using EventStore.Api.Tests.Browser;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EventStore.Api.Tests.WebConsole;

[Collection(ConsoleTests.Name)]
public sealed class when_signing_in_to_the_console(ConsoleService service, Chromium chromium)
{
    [Fact]
    public async Task a_workspace_token_opens_the_workspaces_overview()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync("Workspace acme");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Operations" })).ToHaveCountAsync(0);
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task the_token_is_kept_for_the_tab_only_never_in_a_url_cookie_or_local_storage()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Segments" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Segments", Level = 1 })).ToBeVisibleAsync();

        page.Url.ShouldNotContain(ApiFixture.AcmeToken);
        (await browser.Context.CookiesAsync()).ShouldBeEmpty();
        (await page.EvaluateAsync<int>("() => localStorage.length")).ShouldBe(0);
        (await page.EvaluateAsync<string>("() => sessionStorage.getItem('eventstore.console.token')")).ShouldBe(ApiFixture.AcmeToken);
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_wrong_token_is_refused_with_a_clear_message()
    {
        await service.SeedAsync();
        await using var browser = await chromium.OpenAsync(service.Address);
        browser.Expect("status of 401");
        var page = browser.Page;
        await page.GotoAsync("/console/");

        await page.GetByLabel("Access token").FillAsync("not-a-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("wrong, or it has been revoked");
        await Expect(page.GetByLabel("Access token")).ToBeVisibleAsync();
        (await page.EvaluateAsync<int>("() => sessionStorage.length")).ShouldBe(0);
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task signing_out_forgets_the_token()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(page.GetByLabel("Access token")).ToBeVisibleAsync();
        (await page.EvaluateAsync<int>("() => sessionStorage.length")).ShouldBe(0);
        await page.ReloadAsync();
        await Expect(page.GetByLabel("Access token")).ToBeVisibleAsync();
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_token_revoked_while_signed_in_signs_the_console_out()
    {
        await service.SeedAsync();
        var created = await service.PostAsync("/admin/tokens", new { workspace = "acme", scopes = new[] { "events:read" }, name = "revoked in session" }, ApiFixture.AdminToken);
        await using var browser = await service.SignInAsync(chromium, created["token"]!.GetValue<string>());
        browser.Expect("status of 401");
        using (var admin = service.Client(ApiFixture.AdminToken))
        {
            (await admin.DeleteAsync($"/admin/tokens/{created["id"]!.GetValue<string>()}", TestContext.Current.CancellationToken)).IsSuccessStatusCode.ShouldBeTrue();
        }

        await browser.Page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await browser.Page.GetByLabel("Value").FillAsync(ConsoleService.TypedUser);
        await browser.Page.GetByRole(AriaRole.Button, new() { Name = "Find" }).ClickAsync();

        await Expect(browser.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("revoked");
        await Expect(browser.Page.GetByLabel("Access token")).ToBeVisibleAsync();
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task an_operator_token_opens_operations_only()
    {
        await using var browser = await service.SignInAsync(chromium, ApiFixture.AdminToken);
        var page = browser.Page;

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Operations", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToHaveCountAsync(0);
        browser.ShouldHaveNoErrors();
    }
}
