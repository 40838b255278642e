using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace EventStore.Api.Browser;

/// <summary>
/// The widget script (<c>Browser/widget.js</c>, embedded in the assembly): Intercom's <c>window.Intercom</c> API for
/// tracking events, served at <c>/messenger/widget.js</c> and at <c>/widget/{appId}</c>, the path of Intercom's own
/// widget URL, so that a snippet needs only its host changed. Gzipped once at start-up; revalidated by ETag.
/// </summary>
public sealed class MessengerWidget
{
    public const string Path = "/messenger/widget.js";

    /// <summary>Pages pick up a new widget within this many seconds of a deployment.</summary>
    public const int MaxAgeSeconds = 300;

    private readonly byte[] plain;
    private readonly byte[] gzipped;
    private readonly string etag;

    public MessengerWidget()
    {
        using var resource = typeof(MessengerWidget).Assembly.GetManifestResourceStream("EventStore.Api.Browser.widget.js")
            ?? throw new InvalidOperationException("The widget script is not embedded in the assembly.");
        using var buffer = new MemoryStream();
        resource.CopyTo(buffer);
        plain = buffer.ToArray();
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize))
        {
            gzip.Write(plain);
        }

        gzipped = compressed.ToArray();
        etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(plain))[..16]}\"";
    }

    public async Task WriteAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers.CacheControl = $"public, max-age={MaxAgeSeconds}";
        response.Headers.ETag = etag;
        response.Headers.Vary = HeaderNames.AcceptEncoding;
        response.Headers.XContentTypeOptions = "nosniff";
        if (request.Headers.IfNoneMatch.Contains(etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        var gzip = request.Headers.AcceptEncoding.Any(value => value?.Contains("gzip", StringComparison.OrdinalIgnoreCase) == true);
        var body = gzip ? gzipped : plain;
        response.ContentType = "text/javascript; charset=utf-8";
        response.ContentLength = body.Length;
        if (gzip)
        {
            response.Headers.ContentEncoding = "gzip";
        }

        await response.Body.WriteAsync(body, context.RequestAborted);
    }
}
