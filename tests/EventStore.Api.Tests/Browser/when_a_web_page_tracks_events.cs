using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;
using Microsoft.Playwright;

namespace EventStore.Api.Tests.Browser;

/// <summary>
/// Pages of a customer's site (another origin than the service) load the widget the two ways Intercom's customers do,
/// through Intercom's npm package and through the classic snippet, and call <c>Intercom('trackEvent', …)</c> in the
/// machine's Chromium; the events reach the user's timeline through the real service.
/// </summary>
public sealed class when_a_web_page_tracks_events(TrackingSite site, Chromium chromium) : IClassFixture<TrackingSite>
{
    /// <summary>What a bundler makes of the package's CommonJS files: each wrapped in a function, require() wired between them.</summary>
    private const string NpmPackageLoader = """
        <script>
          window.loadIntercomPackage = async function (base) {
            const files = { '.': 'index.js', './constants': 'constants.js', './instance-manager': 'instance-manager.js' };
            const sources = {};
            for (const [name, file] of Object.entries(files)) sources[name] = await (await fetch(base + file)).text();
            const modules = {};
            function require(name) {
              if (!modules[name]) {
                const module = { exports: {} };
                modules[name] = module;
                new Function('exports', 'require', 'module', sources[name])(module.exports, require, module);
              }
              return modules[name].exports;
            }
            return require('.');
          };
        </script>
        """;

    private static Task WidgetLoaded(IPage page) => page.WaitForFunctionAsync("() => window.Intercom && window.Intercom.eventStoreWidget === true");

    /// <summary>A page of the site (of <paramref name="address"/>, the allowed origin by default) with the widget booted from <paramref name="settings"/>.</summary>
    private async Task<BrowserPage> OpenWithWidget(object settings, Uri? address = null, params string[] expectedProblems)
    {
        var browser = await chromium.OpenAsync(address ?? site.Pages.Address);
        foreach (var problem in expectedProblems)
        {
            browser.Expect(problem);
        }

        await browser.Page.GotoAsync(site.PageWithWidget(settings));
        await WidgetLoaded(browser.Page);
        return browser;
    }

    /// <summary>Tracks <paramref name="eventName"/> and returns the first console message that <paramref name="matches"/>.</summary>
    private static Task<IConsoleMessage> TrackAndWaitForConsole(IPage page, string eventName, Func<IConsoleMessage, bool> matches) =>
        page.RunAndWaitForConsoleMessageAsync(() => page.EvaluateAsync("name => Intercom('trackEvent', name)", eventName), new() { Predicate = matches });

    [Fact]
    public async Task a_page_using_intercoms_npm_package_tracks_a_verified_users_events_into_the_timeline_and_summary()
    {
        await using var browser = await chromium.OpenAsync(site.Pages.Address);
        var requested = new List<string>();
        browser.Page.Request += (_, request) => { lock (requested) { requested.Add(request.Url); } };
        await browser.Page.GotoAsync(site.Page(NpmPackageLoader));

        await browser.Page.EvaluateAsync("""
            async ([widgetUrl, userHash]) => {
              const sdk = window.sdk = await window.loadIntercomPackage('/vendor/intercom-messenger-js-sdk/');
              sdk.Intercom({ app_id: 'acme', user_id: 'npm-user', user_hash: userHash, name: 'Pi', widgetUrl });
              sdk.trackEvent('invited-friend');
              sdk.trackEvent('placed-order', { order_id: 7, price: { amount: 3499, currency: 'eur' }, article: 'https://example.org/ab1de.html' });
              sdk.show(); sdk.hide(); sdk.showMessages(); sdk.showNewMessage('hello'); sdk.onShow(() => {}); sdk.onHide(() => {});
            }
            """, new object[] { site.WidgetUrl, TrackingSite.HashOf("npm-user") });
        await WidgetLoaded(browser.Page);
        await browser.Page.EvaluateAsync("""
            () => {
              sdk.trackEvent('opened-settings');
              sdk.onUnreadCountChange(() => {}); sdk.startTour(1); sdk.showArticle(2); sdk.showSpace('home'); sdk.showNews(3);
              sdk.startSurvey(4); sdk.startChecklist(5); sdk.showTicket(6); sdk.showConversation(7); sdk.hideNotifications(true);
              sdk.onUserEmailSupplied(() => {}); sdk.startConversation('hi'); sdk.whoami(); sdk.update({ hide_default_launcher: true });
              sdk.Intercom({ app_id: 'acme', user_id: 'npm-user', user_hash: window.intercomSettings.user_hash, widgetUrl: 'unused' });
            }
            """);

        var events = await site.TimelineOnceDelivered("npm-user", "opened-settings", "placed-order", "invited-friend");
        events[1]["metadata"]!.ToJsonString().ShouldBe("""{"order_id":7,"price":{"amount":3499,"currency":"eur"},"article":"https://example.org/ab1de.html"}""");
        events[2]["metadata"]!.AsObject().ShouldBeEmpty("sent with the name alone");
        var summary = (await site.Summary("npm-user"))["events"]!.AsArray();
        summary.Select(e => (e!["name"]!.GetValue<string>(), e["count"]!.GetValue<int>())).OrderBy(e => e.Item1)
            .ShouldBe([("invited-friend", 1), ("opened-settings", 1), ("placed-order", 1)]);
        (await browser.Page.EvaluateAsync<string>("() => sdk.getVisitorId()")).ShouldNotBeNullOrEmpty();
        (await browser.Page.EvaluateAsync<string>("() => window.intercomSettings.api_base")).ShouldContain("intercom.io", Case.Insensitive,
            "the package points api_base at Intercom");
        lock (requested)
        {
            requested.ShouldNotContain(url => url.Contains("intercom.io", StringComparison.OrdinalIgnoreCase), "the widget sends to the service that served it, never to Intercom");
        }

        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_page_with_the_classic_snippet_replays_the_calls_queued_before_the_widget_loaded_in_order()
    {
        await using var browser = await chromium.OpenAsync(site.Pages.Address);
        // Intercom's snippet: a stub that queues calls in Intercom.q, and the widget's script added once the page has loaded.
        // Only its URL is changed: the service's host, with Intercom's own path (/widget/{app_id}).
        var widget = new Uri(site.Service.Address, "/widget/acme");
        await browser.Page.GotoAsync(site.Page($$"""
            <script>
              window.intercomSettings = { api_base: 'https://api-iam.intercom.io', app_id: 'acme', user_id: 'snippet-user', user_hash: '{{TrackingSite.HashOf("snippet-user")}}' };
            </script>
            <script>
              (function () {
                var w = window, ic = w.Intercom;
                if (typeof ic === 'function') { ic('reattach_activator'); ic('update', w.intercomSettings); return; }
                var d = document, i = function () { i.c(arguments); };
                i.q = []; i.c = function (args) { i.q.push(args); };
                w.Intercom = i;
                var l = function () {
                  var s = d.createElement('script'); s.type = 'text/javascript'; s.async = true; s.src = '{{widget}}';
                  var x = d.getElementsByTagName('script')[0]; x.parentNode.insertBefore(s, x);
                };
                if (document.readyState === 'complete') { l(); } else { w.addEventListener('load', l, false); }
              })();
            </script>
            <script>
              Intercom('trackEvent', 'queued-first');
              Intercom('show');
              Intercom('trackEvent', 'queued-second', { position: 2 });
              window.queuedBeforeLoad = Intercom.q.length;
            </script>
            """));

        (await browser.Page.EvaluateAsync<int>("() => window.queuedBeforeLoad")).ShouldBe(3, "the calls were queued by the snippet's stub");
        await site.TimelineOnceDelivered("snippet-user", "queued-second", "queued-first");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_page_whose_user_hash_is_wrong_has_its_events_refused_with_a_console_warning()
    {
        await using var browser = await OpenWithWidget(new { app_id = "acme", user_id = "forged-user", user_hash = TrackingSite.HashOf("someone-else") },
            expectedProblems: ["status of 403", "user_hash must be the HMAC-SHA256"]);

        var warning = await TrackAndWaitForConsole(browser.Page, "took-over",
            message => message.Type == "warning" && message.Text.Contains("refused", StringComparison.Ordinal));

        warning.Text.ShouldContain("user_hash must be the HMAC-SHA256");
        (await site.Timeline("forged-user")).ShouldBeEmpty();
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task an_event_that_breaks_a_rule_is_refused_with_a_console_warning_naming_it_and_the_rule()
    {
        await using var browser = await OpenWithWidget(new { app_id = "acme", user_id = "rule-breaker", user_hash = TrackingSite.HashOf("rule-breaker") },
            expectedProblems: "trackEvent('tagged') was refused");

        var warning = await browser.Page.RunAndWaitForConsoleMessageAsync(
            () => browser.Page.EvaluateAsync("() => { Intercom('trackEvent', 'tagged', { tags: ['a', 'b'] }); Intercom('trackEvent', 'kept'); }"),
            new() { Predicate = message => message.Type == "warning" });

        warning.Text.ShouldBe("[Intercom] trackEvent('tagged') was refused: metadata.tags is an array; metadata values cannot be arrays (metadata.tags)");
        await site.TimelineOnceDelivered("rule-breaker", "kept");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_page_of_an_origin_the_workspace_does_not_allow_is_refused_by_cors()
    {
        await using var browser = await OpenWithWidget(new { app_id = "acme", user_id = "cors-user", user_hash = TrackingSite.HashOf("cors-user") },
            site.Pages.OtherOriginAddress, "blocked by CORS policy", "net::ERR_FAILED");

        var error = await TrackAndWaitForConsole(browser.Page, "from-elsewhere", message => message.Text.Contains("CORS policy", StringComparison.Ordinal));

        error.Text.ShouldContain(site.Pages.OtherOriginAddress.GetLeftPart(UriPartial.Authority));
        (await site.Timeline("cors-user")).ShouldBeEmpty("the service refused the origin itself, not only the browser");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task an_event_tracked_right_before_the_page_closes_is_delivered()
    {
        await using var browser = await OpenWithWidget(new { app_id = "acme", user_id = "closing-user", user_hash = TrackingSite.HashOf("closing-user") });

        // The widget gathers calls for a second before sending; closing at once leaves only the page's last moments.
        await browser.Page.EvaluateAsync("() => Intercom('trackEvent', 'closed-the-tab')");
        await CloseAsAPersonWould(browser.Page);

        await site.TimelineOnceDelivered("closing-user", "closed-the-tab");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task a_batch_retried_after_a_network_failure_is_stored_once()
    {
        await using var browser = await OpenWithWidget(new { app_id = "acme", user_id = "retry-user", user_hash = TrackingSite.HashOf("retry-user") },
            expectedProblems: "net::ERR_CONNECTION_RESET");
        var answers = new List<JsonNode>();
        // The first request reaches the service and is stored, but the page sees the connection reset: it must send again.
        await browser.Page.RouteAsync("**/messenger/acme/events", async route =>
        {
            var response = await route.FetchAsync(new() { Headers = await route.Request.AllHeadersAsync() });
            var answer = JsonNode.Parse(await response.TextAsync())!;
            bool first;
            lock (answers)
            {
                answers.Add(answer);
                first = answers.Count == 1;
            }

            await (first ? route.AbortAsync("connectionreset") : route.FulfillAsync(new() { Response = response }));
        });

        await browser.Page.EvaluateAsync("() => { Intercom('trackEvent', 'invited-friend'); Intercom('trackEvent', 'placed-order', { order_id: 8 }); }");

        await Waits.Until(() => Task.FromResult(Count(answers) >= 2), TrackingSite.Delivery, "the widget to send the batch again");
        lock (answers)
        {
            answers[0]["accepted"]!.GetValue<int>().ShouldBe(2, answers[0].ToJsonString());
            answers[1]["duplicates"]!.GetValue<int>().ShouldBe(2, $"the retry carries the same created_at, so both are duplicates: {answers[1].ToJsonString()}");
        }

        await site.TimelineOnceDelivered("retry-user", "placed-order", "invited-friend");
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task an_event_tracked_offline_is_delivered_by_the_next_page_once_online()
    {
        var settings = new { app_id = "acme", user_id = "offline-user", user_hash = TrackingSite.HashOf("offline-user") };
        await using var browser = await OpenWithWidget(settings, expectedProblems: "net::ERR_INTERNET_DISCONNECTED");

        await browser.Context.SetOfflineAsync(true);
        await browser.Page.EvaluateAsync("() => Intercom('trackEvent', 'read-offline')");
        await CloseAsAPersonWould(browser.Page);
        await browser.Context.SetOfflineAsync(false);
        var later = await BrowserPage.OpenAsync(browser.Context);
        await later.Page.GotoAsync(site.PageWithWidget(settings));

        await site.TimelineOnceDelivered("offline-user", "read-offline");
        later.ShouldHaveNoErrors();
        browser.ShouldHaveNoErrors();
    }

    [Fact]
    public async Task an_anonymous_visitors_events_join_the_user_once_it_identifies()
    {
        await using var browser = await OpenWithWidget(new { app_id = "acme" });
        var visitor = await browser.Page.EvaluateAsync<string>("() => Intercom('getVisitorId')");

        await browser.Page.EvaluateAsync("() => Intercom('trackEvent', 'viewed-pricing', { plan: 'pro' })");
        await browser.Page.EvaluateAsync("hash => Intercom('update', { user_id: 'converted-user', user_hash: hash })", TrackingSite.HashOf("converted-user"));

        await site.TimelineOnceDelivered("converted-user", "viewed-pricing");
        (await browser.Page.EvaluateAsync<string>("() => Intercom('getVisitorId')")).ShouldBe(visitor, "the same visitor until shutdown");
        await browser.Page.EvaluateAsync("() => { Intercom('trackEvent', 'signed-up'); Intercom('shutdown'); }");
        (await browser.Page.EvaluateAsync<string>("() => Intercom('getVisitorId')")).ShouldNotBe(visitor, "shutdown (log out) forgets the visitor");

        await site.TimelineOnceDelivered("converted-user", "signed-up", "viewed-pricing");
        (await site.Summary("converted-user"))["events"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "viewed-pricing")!["count"]!
            .GetValue<int>().ShouldBe(1, "counted once");
        browser.ShouldHaveNoErrors();
    }

    /// <summary>Closes the page running its unload handlers, as closing a tab does, and waits until it is gone.</summary>
    private static async Task CloseAsAPersonWould(IPage page)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Close += (_, _) => closed.TrySetResult();
        // With RunBeforeUnload the call returns before the page has closed.
        await page.CloseAsync(new() { RunBeforeUnload = true });
        await closed.Task.WaitAsync(Chromium.ActionTimeout, TestContext.Current.CancellationToken);
    }

    private static int Count(List<JsonNode> answers)
    {
        lock (answers)
        {
            return answers.Count;
        }
    }
}
