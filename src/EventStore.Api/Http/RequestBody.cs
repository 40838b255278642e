using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using EventStore.Api.Errors;
using Microsoft.Net.Http.Headers;

namespace EventStore.Api.Http;

/// <summary>A parsed JSON body, or the error response that explains why there is none.</summary>
public sealed class JsonBody : IDisposable
{
    private readonly JsonDocument? document;

    private JsonBody(JsonDocument? document, IResult? error)
    {
        this.document = document;
        Error = error;
    }

    public JsonElement Root => document!.RootElement;

    public IResult? Error { get; }

    public static JsonBody Of(JsonDocument document) => new(document, null);

    public static JsonBody Failed(IResult error) => new(null, error);

    public void Dispose() => document?.Dispose();
}

/// <summary>
/// A request body read whole (or only in part, when its <see cref="IBodyWatcher"/> stopped the reading:
/// <see cref="Stopped"/>), or the error response that explains why not.
/// </summary>
public sealed record RawBody(ReadOnlyMemory<byte> Bytes, string MediaType, IResult? Error, bool Stopped = false)
{
    public static RawBody Failed(IResult error) => new(ReadOnlyMemory<byte>.Empty, "", error);
}

/// <summary>Looks at a body while it is read (after decompression), to stop reading one that is already known to be refused.</summary>
public interface IBodyWatcher
{
    /// <summary>Called after each chunk with everything read so far; false stops the reading.</summary>
    bool KeepReading(ReadOnlySpan<byte> readSoFar);
}

/// <summary>
/// Reads JSON request bodies under the service's rules: <c>application/json</c> only (415), a size
/// limit per endpoint enforced while reading (413, whatever the server in front), strict JSON
/// (malformed, too deep or with duplicate keys: 400).
/// </summary>
public static class RequestBody
{
    public const int MaxDepth = 32;

    public static ApiError UnsupportedMediaType => new("unsupported_media_type", "Content-Type must be application/json");

    private static readonly JsonDocumentOptions Strict = new()
    {
        MaxDepth = MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    public static async Task<JsonBody> ReadJsonAsync(HttpContext context, long maxBytes, CancellationToken cancellationToken)
    {
        var body = await ReadAsync(context, maxBytes, IsJsonMediaType, cancellationToken);
        if (body.Error is not null)
        {
            return JsonBody.Failed(body.Error);
        }

        if (body.Bytes.Length == 0)
        {
            return JsonBody.Failed(ErrorList.Result(context, StatusCodes.Status400BadRequest, new ApiError("bad_request", "The request body is empty; send a JSON object")));
        }

        return TryParse(body.Bytes, out var document, out var problem)
            ? JsonBody.Of(document!)
            : JsonBody.Failed(ErrorList.Result(context, StatusCodes.Status400BadRequest, new ApiError("bad_request", problem!)));
    }

    /// <summary>
    /// Reads a whole body of an accepted media type, gunzipping <c>Content-Encoding: gzip</c>. The limit applies
    /// to the bytes after decompression, so a small compressed bomb is refused like a large body. A watcher, chosen
    /// by media type, may stop the reading early (<see cref="RawBody.Stopped"/>).
    /// </summary>
    public static async Task<RawBody> ReadAsync(HttpContext context, long maxBytes, Func<string, bool> acceptsMediaType, CancellationToken cancellationToken,
        Func<string, IBodyWatcher?>? watch = null)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.MediaType.Value is not { } mediaType
            || !acceptsMediaType(mediaType)
            || (type.Charset.HasValue && !type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return RawBody.Failed(ErrorList.Result(context, StatusCodes.Status415UnsupportedMediaType, UnsupportedMediaType));
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (encoding.Length > 0 && !gzip && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return RawBody.Failed(ErrorList.Result(context, StatusCodes.Status415UnsupportedMediaType,
                new ApiError("unsupported_media_type", "Content-Encoding must be gzip or absent")));
        }

        if (request.ContentLength > maxBytes)
        {
            return RawBody.Failed(TooLarge(context, maxBytes));
        }

        var watcher = watch?.Invoke(mediaType.ToLowerInvariant());
        await using var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        // The declared length is a hint only (a client may declare 5 MB and send a byte a second): at most 1 MiB up front.
        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is { } length and > 0 && !gzip ? (int)Math.Min(length, 1 << 20) : 4096);
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer.GetMemory(8192), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes)
                {
                    return RawBody.Failed(TooLarge(context, maxBytes));
                }

                if (watcher is not null && !watcher.KeepReading(buffer.WrittenSpan))
                {
                    return new RawBody(buffer.WrittenMemory, mediaType.ToLowerInvariant(), null, Stopped: true);
                }
            }
        }
        catch (InvalidDataException)
        {
            return RawBody.Failed(ErrorList.Result(context, StatusCodes.Status400BadRequest, new ApiError("bad_request", "The request body is not valid gzip")));
        }

        return new RawBody(buffer.WrittenMemory, mediaType.ToLowerInvariant(), null);
    }

    /// <summary>Strict JSON (no comments, trailing commas or duplicate keys; bounded depth).</summary>
    public static bool TryParse(ReadOnlyMemory<byte> json, out JsonDocument? document, out string? problem)
    {
        document = null;
        // Text .NET cannot read back as strings is refused here, not as a 500 later (JsonText, found by fuzzing).
        if (JsonText.FindUnreadableUtf8(json.Span) is { } invalid)
        {
            problem = invalid;
            return false;
        }

        try
        {
            document = JsonDocument.Parse(json, Strict);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            problem = $"The request body is not valid JSON: {e.Message}";
            return false;
        }

        if (JsonText.FindUnstorableString(document.RootElement) is { } unstorable)
        {
            document.Dispose();
            document = null;
            problem = unstorable;
            return false;
        }

        problem = null;
        return true;
    }

    public static bool IsJsonMediaType(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    private static IResult TooLarge(HttpContext context, long maxBytes) =>
        ErrorList.Result(context, StatusCodes.Status413PayloadTooLarge, new ApiError("request_too_large", $"The request body is larger than {maxBytes} bytes"));

}
