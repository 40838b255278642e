using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Browser;
using EventStore.Api.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EventStore.Api.Tests.WebConsole;

/// <summary>The console's browser tests share one service and its data; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ConsoleTests : ICollectionFixture<ConsoleService>
{
    public const string Name = "console";
}

/// <summary>
/// The service on a real port with a small population in acme: a user with every metadata type, names and values
/// holding markup, a long timeline, and users for segments. The console is reached at <c>/console/</c>.
/// </summary>
public sealed class ConsoleService(PostgresServer postgres) : LiveService(postgres)
{
    public static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>A user whose one event carries each of Intercom's metadata types.</summary>
    public const string TypedUser = "typed-user";

    /// <summary>Markup that would run script (setting <c>window.injected</c>) if it were ever parsed as HTML; a valid event name as is.</summary>
    public const string Markup = "<img src=x onerror=\"injected=1\">";

    /// <summary>A user with more events than one page of the timeline.</summary>
    public const string BusyUser = "busy-user";

    public const int BusyEvents = 60;

    private readonly SemaphoreSlim seeding = new(1, 1);
    private bool seeded;

    public async Task<BrowserPage> SignInAsync(Chromium chromium, string token = ApiFixture.AcmeToken, Action<BrowserNewContextOptions>? configure = null)
    {
        await SeedAsync();
        var browser = await chromium.OpenAsync(Address, configure);
        await browser.Page.GotoAsync("/console/");
        await browser.Page.GetByLabel("Access token").FillAsync(token);
        await browser.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(browser.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
        // The first page has loaded what it shows (a page sets aria-busy while it loads).
        await Expect(browser.Page.Locator("#main")).ToHaveAttributeAsync("aria-busy", "false");
        return browser;
    }

    public async Task TrackAsync(object body, string token = ApiFixture.AcmeToken)
    {
        using var client = Client(token);
        using var response = await client.PostAsJsonAsync("/events", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonNode> GetAsync(string path, string token = ApiFixture.AcmeToken)
    {
        using var client = Client(token);
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }

    public async Task<JsonNode> PostAsync(string path, object body, string token = ApiFixture.AcmeToken)
    {
        using var client = Client(token);
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return JsonNode.Parse(text)!;
    }

    public async Task SeedAsync()
    {
        await seeding.WaitAsync(TimeSpan.FromMinutes(1));
        try
        {
            if (seeded)
            {
                return;
            }

            await TrackAsync(new
            {
                event_name = "placed-order",
                created_at = Now - 3600,
                user_id = TypedUser,
                email = "typed@example.org",
                metadata = new Dictionary<string, object>
                {
                    ["order_total"] = new { amount = 34999, currency = "eur" },
                    ["article"] = "https://example.org/ab1de.html",
                    ["guide"] = new { url = "https://example.org/guide", value = "the dude abides" },
                    ["delivery_date"] = 1392036272,
                    ["items"] = 3.5,
                    ["source"] = "desktop",
                },
            });
            await TrackAsync(new { event_name = Markup, created_at = Now - 1800, user_id = TypedUser, metadata = new { note = Markup } });
            for (var i = 0; i < BusyEvents; i++)
            {
                await TrackAsync(new { event_name = "viewed-page", created_at = Now - 7200 - i, user_id = BusyUser, metadata = new { n = i } });
            }

            // Segments: placed-order more than once and invited-friend; some did one, some the other.
            for (var i = 0; i < 12; i++)
            {
                var user = $"segment-{i:D2}";
                for (var n = 0; n <= i % 3; n++)
                {
                    await TrackAsync(new { event_name = "placed-order", created_at = Now - (86_400 * (i % 5)) - n, user_id = user, email = $"{user}@example.org" });
                }

                if (i % 2 == 0)
                {
                    await TrackAsync(new { event_name = "invited-friend", created_at = Now - 600 - i, user_id = user });
                }
            }

            seeded = true;
        }
        finally
        {
            seeding.Release();
        }
    }
}
