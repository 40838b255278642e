using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// The service as its own process (real Kestrel sockets, real memory), with two workspaces, acme and globex, and an
/// operator token, for scenarios where one workspace misbehaves and the other must not notice. Rate limits are off,
/// so that only the limits under test decide.
/// </summary>
public static class TwoTenantService
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    public static async Task<ApiProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>
        {
            ["Workspaces__1__Id"] = "globex",
            ["Workspaces__1__AccessTokens__0"] = ApiFixture.GlobexToken,
            ["Admin__AccessTokens__0"] = ApiFixture.AdminToken,
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            all[name] = value;
        }

        var api = ApiProcess.Start(connectionString, all);
        await api.WaitUntilReadyAsync(Deadline);
        return api;
    }

    /// <summary>One request with a token, answered within the client's timeout; a timeout or a cut connection is recorded as a null status.</summary>
    public static async Task<(HttpStatusCode? Status, string Body)> SendAsync(this HttpClient client, HttpMethod method, string url, string token,
        HttpContent? content = null, CancellationToken cancellation = default)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        request.Headers.TryAddWithoutValidation("Intercom-Version", "2.14");
        try
        {
            using var response = await client.SendAsync(request, cancellation);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellation));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            return (null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    public static StringContent Json(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, mediaType);

    /// <summary>Issues a workspace token with the given scopes through the admin API.</summary>
    public static async Task<string> CreateTokenAsync(this HttpClient client, string workspace, params string[] scopes)
    {
        var (status, body) = await client.SendAsync(HttpMethod.Post, "/admin/tokens", ApiFixture.AdminToken,
            Json(JsonSerializer.Serialize(new { workspace, scopes, name = "misbehaving tenant test" })), TestContext.Current.CancellationToken);
        status.ShouldBe(HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!["token"]!.GetValue<string>();
    }

    /// <summary>Posts a bulk request and insists every event was accepted.</summary>
    public static async Task BulkAsync(this HttpClient client, string token, IEnumerable<object> events)
    {
        var batch = events.ToList();
        var (status, body) = await client.SendAsync(HttpMethod.Post, "/events/bulk", token, Json(JsonSerializer.Serialize(batch)), TestContext.Current.CancellationToken);
        status.ShouldBe(HttpStatusCode.OK, body);
        JsonNode.Parse(body)!["accepted"]!.GetValue<int>().ShouldBe(batch.Count, body);
    }
}

/// <summary>
/// A scenario against a <see cref="TwoTenantService"/> process, played once by whichever test asks first; the tests
/// then check what it recorded. The process is stopped with the fixture.
/// </summary>
public abstract class TwoTenantScenario<TRun> : IAsyncLifetime
{
    private readonly Lock gate = new();
    private Task<TRun>? run;

    /// <summary>The process, once the scenario has started it.</summary>
    protected ApiProcess? Api { get; set; }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public Task<TRun> Play()
    {
        lock (gate)
        {
            return run ??= PlayAsync();
        }
    }

    protected abstract Task<TRun> PlayAsync();

    public async ValueTask DisposeAsync()
    {
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }
    }
}
