using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>Whether the API already serves <c>POST /events/bulk</c> (another engineer is implementing it).</summary>
internal static class BulkEndpoint
{
    /// <summary>Null when available, otherwise why not. An empty array stores nothing, so probing leaves no trace.</summary>
    public static async Task<string?> ProbeAsync(Uri baseAddress, string token, CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events/bulk") { Content = new StringContent("[]", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, cancellation);
        return response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed
            ? $"not available: POST /events/bulk answered {(int)response.StatusCode}"
            : null;
    }
}
