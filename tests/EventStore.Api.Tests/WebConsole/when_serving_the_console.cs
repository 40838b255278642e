using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using EventStore.Api.Tests.Browser;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.WebConsole;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EventStore.Api.Tests.WebConsole;

[Collection(ConsoleTests.Name)]
public sealed partial class when_serving_the_console(ConsoleService service, Chromium chromium)
{
    /// <summary>Set to a folder (e.g. docs/console) to keep the screenshots the accessibility walk takes.</summary>
    public const string ScreenshotsVariable = "EVENTSTORE_CONSOLE_SCREENSHOTS";

    private static readonly string[] Assets = ["index.html", "app.js", "api.js", "view.js", "format.js", "chart.js", "overview.js", "users.js", "segments.js", "operations.js", "console.css"];

    [Fact]
    public async Task every_file_carries_a_strict_content_security_policy()
    {
        using var client = service.Client(token: null);
        foreach (var asset in Assets)
        {
            using var response = await client.GetAsync($"/console/{asset}", TestContext.Current.CancellationToken);
            response.IsSuccessStatusCode.ShouldBeTrue(asset);
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            policy.ShouldBe(ConsoleSite.ContentSecurityPolicy, asset);
            policy.ShouldNotContain("unsafe", customMessage: asset);
            response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"], asset);
        }
    }

    [Fact]
    public async Task no_file_holds_inline_script_or_style_or_parses_markup()
    {
        using var client = service.Client(token: null);
        foreach (var asset in Assets)
        {
            var text = await client.GetStringAsync($"/console/{asset}", TestContext.Current.CancellationToken);
            if (asset.EndsWith(".html", StringComparison.Ordinal))
            {
                InlineScript().IsMatch(text).ShouldBeFalse($"{asset} has a script without src");
                text.ShouldNotContain("style=", customMessage: asset);
                text.ShouldNotContain("<style", customMessage: asset);
                text.ShouldNotContain(" on", customMessage: $"{asset} has an inline event handler");
            }
            else if (asset.EndsWith(".js", StringComparison.Ordinal))
            {
                foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function" })
                {
                    text.ShouldNotContain(sink, customMessage: $"{asset} uses {sink}: values must stay text");
                }
            }
        }
    }

    [Fact]
    public async Task the_first_page_is_under_200_kb()
    {
        await service.SeedAsync();
        await using var browser = await chromium.OpenAsync(service.Address);
        var sizes = new List<Task<RequestSizesResult>>();
        browser.Page.RequestFinished += (_, request) => sizes.Add(request.SizesAsync());

        await browser.Page.GotoAsync("/console/", new() { WaitUntil = WaitUntilState.NetworkIdle });
        await Expect(browser.Page.GetByLabel("Access token")).ToBeVisibleAsync();

        var transferred = (await Task.WhenAll(sizes)).Sum(s => s.ResponseBodySize + s.ResponseHeadersSize);
        transferred.ShouldBeInRange(1, 200 * 1024, "bytes transferred for the first page");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task it_works_with_the_keyboard_alone()
    {
        await service.SeedAsync();
        await using var browser = await chromium.OpenAsync(service.Address);
        var page = browser.Page;
        await page.GotoAsync("/console/");
        await Expect(page.GetByLabel("Access token")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Shift+Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");

        await page.Keyboard.TypeAsync(ApiFixture.AcmeToken);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
        // A new page puts focus on its content; the navigation is just before it.
        await Expect(page.Locator("#main")).ToBeFocusedAsync();
        foreach (var before in new[] { "Sign out", "API reference", "Segments", "Users" })
        {
            await page.Keyboard.PressAsync("Shift+Tab");
            await Expect(page.Locator(":focus")).ToHaveTextAsync(before);
        }

        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByLabel("Value")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(ConsoleService.TypedUser);
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Timeline" })).ToBeVisibleAsync();
        browser.ShouldHaveNoErrors();
    }

    [Theory]
    [InlineData("light", 1280)]
    [InlineData("dark", 1280)]
    [InlineData("light", 390)]
    public async Task every_page_passes_an_accessibility_scan(string scheme, int width)
    {
        var folder = Environment.GetEnvironmentVariable(ScreenshotsVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "eventstore-console-screenshots");
        Directory.CreateDirectory(folder);
        var suffix = width < 600 ? "phone" : scheme;
        void Configure(BrowserNewContextOptions options)
        {
            options.ColorScheme = scheme == "dark" ? ColorScheme.Dark : ColorScheme.Light;
            options.ViewportSize = new ViewportSize { Width = width, Height = width < 600 ? 844 : 900 };
        }

        await using (var signIn = await chromium.OpenAsync(service.Address, Configure))
        {
            await signIn.Page.GotoAsync("/console/");
            await CheckAsync(signIn, "sign-in");
        }

        await using (var workspace = await service.SignInAsync(chromium, configure: Configure))
        {
            var page = workspace.Page;
            await Expect(page.Locator(".chart-figure").First).ToBeVisibleAsync();
            await CheckAsync(workspace, "overview");
            await page.GotoAsync($"/console/#/users?by=user_id&value={ConsoleService.TypedUser}");
            await Expect(page.Locator(".event").First).ToBeVisibleAsync();
            await CheckAsync(workspace, "users");
            await page.GetByRole(AriaRole.Link, new() { Name = "Segments" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Show members" }).ClickAsync();
            await Expect(page.Locator(".total")).ToBeVisibleAsync();
            await CheckAsync(workspace, "segments");
        }

        await using (var operator_ = await service.SignInAsync(chromium, ApiFixture.AdminToken, Configure))
        {
            await Expect(operator_.Page.GetByRole(AriaRole.Table, new() { Name = "Projections" })).ToBeVisibleAsync();
            await CheckAsync(operator_, "operations");
        }

        async Task CheckAsync(BrowserPage browser, string name)
        {
            var page = browser.Page;
            var violations = (await page.RunAxe()).Violations;
            violations.ShouldBeEmpty(string.Join(Environment.NewLine, violations.Select(v =>
                $"{name} ({scheme}, {width}px): {v.Id}: {v.Help} at {string.Join(" | ", v.Nodes.Select(n => n.Html))}")));
            (await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"))
                .ShouldBeTrue($"{name} ({scheme}, {width}px) scrolls sideways");
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}-{suffix}.png"), FullPage = true });
            browser.ShouldHaveNoErrors();
        }
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
