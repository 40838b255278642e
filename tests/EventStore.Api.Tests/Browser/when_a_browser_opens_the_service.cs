using EventStore.Api.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace EventStore.Api.Tests.Browser;

/// <summary>The browser-test infrastructure itself: the machine's Chromium reaches the service on a real port.</summary>
public sealed class when_a_browser_opens_the_service(LiveService service, Chromium chromium) : IClassFixture<LiveService>
{
    [Fact]
    public async Task it_reads_what_the_service_answers()
    {
        await using var browser = await chromium.OpenAsync(service.Address);
        // The browser asks for a site icon on its own; this service has none at its root.
        browser.Expect("favicon.ico");
        var response = await browser.Page.GotoAsync("/health/live");

        response!.Status.ShouldBe(200);
        await Expect(browser.Page.Locator("body")).ToContainTextAsync("Healthy");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public void a_missing_browser_is_an_error_that_says_how_to_install_one()
    {
        Should.Throw<InvalidOperationException>(() => Chromium.ExecutablePath(null, "/nonexistent-folder"))
            .Message.ShouldContain("apt-get install -y chromium");
        Should.Throw<InvalidOperationException>(() => Chromium.ExecutablePath("/nonexistent/chromium", "/usr/bin"))
            .Message.ShouldContain("/nonexistent/chromium");
    }
}
