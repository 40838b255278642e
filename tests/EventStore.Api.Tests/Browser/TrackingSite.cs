using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Browser;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Browser;

/// <summary>
/// A customer's site (<see cref="TestPages"/>) whose pages track into the real service (<see cref="LiveService"/>):
/// acme allows the site's origin and verifies identities with <see cref="Secret"/>.
/// </summary>
public sealed class TrackingSite(PostgresServer postgres) : IAsyncLifetime
{
    public const string Secret = "acme-browser-identity-secret-42";

    /// <summary>How long a page's events may take to reach the timeline (the widget gathers calls for a second first).</summary>
    public static readonly TimeSpan Delivery = TimeSpan.FromSeconds(20);

    public TestPages Pages { get; private set; } = null!;

    public LiveService Service { get; private set; } = null!;

    /// <summary>Where the widget is served, as a page names it.</summary>
    public string WidgetUrl => new Uri(Service.Address, MessengerWidget.Path).ToString();

    public async ValueTask InitializeAsync()
    {
        Pages = await TestPages.StartAsync();
        Service = new TrackingService(postgres, Pages.Origin);
        await Service.InitializeAsync();
    }

    public static string HashOf(string userId) => IdentityVerification.UserHash(Secret, userId);

    /// <summary>The user's events in acme as the API lists them, newest first; empty when the user has none.</summary>
    public async Task<IReadOnlyList<JsonNode>> Timeline(string userId)
    {
        using var client = Service.Client();
        using var response = await client.GetAsync($"/events?type=user&user_id={Uri.EscapeDataString(userId)}&per_page=50", TestContext.Current.CancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return [.. JsonNode.Parse(body)!["events"]!.AsArray().Select(e => e!)];
    }

    public async Task<JsonNode> Summary(string userId)
    {
        using var client = Service.Client();
        var body = await client.GetStringAsync($"/events?type=user&user_id={Uri.EscapeDataString(userId)}&summary=true", TestContext.Current.CancellationToken);
        return JsonNode.Parse(body)!;
    }

    /// <summary>Waits until the user's timeline holds <paramref name="names"/> (newest first), and returns it.</summary>
    public async Task<IReadOnlyList<JsonNode>> TimelineOnceDelivered(string userId, params string[] names)
    {
        IReadOnlyList<JsonNode> events = [];
        await Waits.Until(async () =>
        {
            events = await Timeline(userId);
            return events.Count >= names.Length;
        }, Delivery, $"{names.Length} event(s) of {userId} in the timeline; the service said:{Environment.NewLine}{Service.OutputTail}");
        events.Select(e => e["event_name"]!.GetValue<string>()).ShouldBe(names, $"the timeline of {userId}");
        return events;
    }

    /// <summary>A page of the customer's site: <paramref name="body"/> inside a minimal HTML document.</summary>
    public string Page(string body) => Pages.Add($"<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>shop</title></head><body>{body}</body></html>");

    /// <summary>A page that boots <paramref name="settings"/> (serialized as window.intercomSettings) and loads the widget itself.</summary>
    public string PageWithWidget(object settings) =>
        Page($"<script>window.intercomSettings = {JsonSerializer.Serialize(settings)};</script><script src=\"{WidgetUrl}\"></script>");

    public async ValueTask DisposeAsync()
    {
        if (Service is not null)
        {
            await Service.DisposeAsync();
        }

        if (Pages is not null)
        {
            await Pages.DisposeAsync();
        }
    }

    private sealed class TrackingService(PostgresServer postgres, string origin) : LiveService(postgres)
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Workspaces:0:Browser:AllowedOrigins:0"] = origin,
            ["Workspaces:0:Browser:IdentitySecret"] = Secret,
        };
    }
}
