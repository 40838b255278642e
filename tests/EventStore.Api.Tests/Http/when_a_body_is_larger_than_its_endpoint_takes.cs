using System.IO.Compression;
using System.Net;
using System.Text;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Http;

/// <summary>Every body limit docs/security.md documents answers 413 <c>request_too_large</c> in error.list form, and stores nothing.</summary>
public sealed class when_a_body_is_larger_than_its_endpoint_takes(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const int KiB = 1024;

    /// <summary>A JSON object of the given size, whatever its fields: the limit is checked before the body is read as a command.</summary>
    private static string Padded(string json, int size) => json.TrimEnd('}') + $",\"padding\":\"{new string('p', size)}\"}}";

    [Fact]
    public async Task refuses_an_event_name_description_over_64_kib()
    {
        (await api.Host.PostEvent(Scenarios.Event(name: "described", userId: "limits"))).Status.ShouldBe(HttpStatusCode.Accepted);

        (await api.Host.Send(HttpMethod.Put, "/event-names/described", Padded("""{"description":"x"}""", 64 * KiB)))
            .ShouldBeError(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task refuses_a_segment_search_over_64_kib() =>
        (await api.Host.Send(HttpMethod.Post, "/segments/search", Padded("""{"query":{"event_name":"x"}}""", 64 * KiB)))
            .ShouldBeError(HttpStatusCode.RequestEntityTooLarge, "request_too_large");

    [Fact]
    public async Task refuses_a_token_request_over_16_kib()
    {
        (await api.Host.Send(HttpMethod.Post, "/admin/tokens", Padded("""{"workspace":"acme","scopes":["events:read"],"name":"big"}""", 16 * KiB), ApiFixture.AdminToken))
            .ShouldBeError(HttpStatusCode.RequestEntityTooLarge, "request_too_large");

        var listed = await api.Host.Get("/admin/tokens?workspace=acme", ApiFixture.AdminToken);
        listed.Body.ShouldNotContain("\"big\"", Case.Sensitive, "no token was issued");
    }

    [Fact]
    public async Task refuses_a_summary_import_over_1_mib()
    {
        var body = Padded("""{"user_id":"limits-import","event_summaries":{"event_name":"x","count":1,"first":1600000000,"last":1600000000}}""", 1024 * KiB);

        (await api.Host.Send(HttpMethod.Post, "/events/summaries", body)).ShouldBeError(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        (await api.TimelinesIn("acme")).ShouldNotContain(t => t.UserId == "limits-import");
    }

    [Fact]
    public async Task refuses_a_gzip_bulk_request_over_5_mib_once_decompressed()
    {
        // Fewer items than Tracking:Bulk:MaxEvents, each padded: only the size is over a limit.
        var item = $$$"""{"event_name":"zipped","created_at":1700000000,"user_id":"limits-bulk","padding":"{{{new string('z', 6000)}}}"}""";
        var json = "[" + string.Join(",", Enumerable.Repeat(item, 990)) + "]";
        json.Length.ShouldBeGreaterThan(5 * 1024 * KiB);
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(json), TestContext.Current.CancellationToken);
        }

        compressed.Length.ShouldBeLessThan(1024 * KiB, "small on the wire: only its decompressed size is over the limit");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events/bulk") { Content = new ByteArrayContent(compressed.ToArray()) };
        request.Content.Headers.ContentType = new("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Authorization = new("Bearer", ApiFixture.AcmeToken);
        using var response = await api.Host.Server.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);

        new Response(response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), new Dictionary<string, string>())
            .ShouldBeError(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        (await api.TrackedIn("acme")).ShouldNotContain(e => e.UserId == "limits-bulk");
    }
}
