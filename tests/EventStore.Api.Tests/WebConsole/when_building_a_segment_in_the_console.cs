using System.Text.Json.Nodes;
using EventStore.Api.Tests.Browser;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EventStore.Api.Tests.WebConsole;

[Collection(ConsoleTests.Name)]
public sealed class when_building_a_segment_in_the_console(ConsoleService service, Chromium chromium)
{
    /// <summary>placed-order more than once, and never invited-friend: what the builder is set to below.</summary>
    private static readonly object Query = new { and = new object[] { new { event_name = "placed-order", count_gt = 1 }, new { not = new { event_name = "invited-friend" } } } };

    private static async Task BuildAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Segments" }).ClickAsync();
        var first = page.Locator(".condition").Nth(0);
        await first.GetByLabel("Event").SelectOptionAsync("placed-order");
        await first.GetByLabel("Times").SelectOptionAsync("count_gt");
        await first.GetByLabel("Count").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a condition" }).ClickAsync();
        var second = page.Locator(".condition").Nth(1);
        await second.GetByLabel("Users who").SelectOptionAsync("not");
        await second.GetByLabel("Event").SelectOptionAsync("invited-friend");
        await page.GetByLabel("Users who match").SelectOptionAsync("and");
    }

    private async Task<List<JsonNode>> MembersFromTheApiAsync()
    {
        var members = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = await service.PostAsync("/segments/search", cursor is null ? new { query = Query, per_page = 100 } : new { query = Query, per_page = 100, starting_after = cursor });
            members.AddRange(page["users"]!.AsArray().Select(u => u!));
            cursor = page["pages"]?["next"]?["starting_after"]?.GetValue<string>();
        }
        while (cursor is not null);
        return members;
    }

    [Fact]
    public async Task its_members_are_the_apis_answer_page_by_page()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;
        await BuildAsync(page);
        var expected = await MembersFromTheApiAsync();
        expected.Count.ShouldBeGreaterThan(0, "the population has members");

        await page.GetByRole(AriaRole.Button, new() { Name = "Show members" }).ClickAsync();

        await Expect(page.Locator(".total")).ToHaveTextAsync($"{expected.Count} users match");
        var shown = new List<string>();
        while (true)
        {
            var table = page.GetByRole(AriaRole.Table, new() { Name = "Members" });
            await Expect(table).ToBeVisibleAsync();
            shown.AddRange(await table.Locator("tbody tr td:nth-child(3)").AllTextContentsAsync());
            var next = page.GetByRole(AriaRole.Button, new() { Name = "Next page" });
            if (await next.IsDisabledAsync())
            {
                break;
            }

            var before = await table.Locator("tbody tr").First.TextContentAsync();
            await next.ClickAsync();
            await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Members" }).Locator("tbody tr").First).Not.ToHaveTextAsync(before!);
        }

        shown.ShouldBe(expected.Select(u => u["intercom_user_id"]!.GetValue<string>()));
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task the_csv_download_holds_the_whole_segment()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;
        await BuildAsync(page);
        var expected = await MembersFromTheApiAsync();

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());

        download.SuggestedFilename.ShouldBe("segment.csv");
        var path = await download.PathAsync();
        var lines = (await File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken)).ToList();
        lines[0].ShouldBe("intercom_user_id,user_id,email");
        lines.Skip(1).ShouldBe(expected.Select(u => $"{u["intercom_user_id"]},{u["user_id"]},{u["email"]}"));
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_name_is_archived_and_unarchived()
    {
        await using var browser = await service.SignInAsync(chromium);
        var page = browser.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Segments" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "viewed-page" });
        await Expect(row).ToContainTextAsync("active");

        await page.GetByRole(AriaRole.Button, new() { Name = "Archive viewed-page" }).ClickAsync();

        await Expect(row).ToContainTextAsync("archived");
        (await service.GetAsync("/segments/viewed-page"))["archived"]!.GetValue<bool>().ShouldBeTrue();

        await page.GetByRole(AriaRole.Button, new() { Name = "Unarchive viewed-page" }).ClickAsync();

        await Expect(row).ToContainTextAsync("active");
        (await service.GetAsync("/segments/viewed-page"))["archived"]!.GetValue<bool>().ShouldBeFalse();
        browser.ShouldHaveNoErrors();
    }
}
