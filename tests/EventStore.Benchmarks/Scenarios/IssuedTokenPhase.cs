using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventStore.Benchmarks.Orchestration;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>A workspace token issued at run time (<c>POST /admin/tokens</c>), for the phase that compares it with a configured one.</summary>
internal static class IssuedTokenPhase
{
    public static async Task<string> CreateAsync(ApiProcess api, string adminToken, CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/tokens")
        {
            Content = JsonContent.Create(new { workspace = ApiDeployment.WorkspaceId, scopes = new[] { "events:write" }, name = "benchmark" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        using var response = await http.SendAsync(request, cancellation);
        var body = await response.Content.ReadAsStringAsync(cancellation);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /admin/tokens answered {(int)response.StatusCode}: {body}");
        }

        return JsonNode.Parse(body)!["token"]!.GetValue<string>();
    }
}
