using System.Buffers;
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
        var request = context.Request;
        if (!IsJson(request.ContentType))
        {
            return JsonBody.Failed(ErrorList.Result(context, StatusCodes.Status415UnsupportedMediaType, UnsupportedMediaType));
        }

        if (request.ContentLength > maxBytes)
        {
            return JsonBody.Failed(TooLarge(context, maxBytes));
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is { } length and > 0 ? (int)length : 4096);
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            var read = await request.Body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return JsonBody.Failed(TooLarge(context, maxBytes));
            }
        }

        if (buffer.WrittenCount == 0)
        {
            return JsonBody.Failed(ErrorList.Result(context, StatusCodes.Status400BadRequest, new ApiError("bad_request", "The request body is empty; send a JSON object")));
        }

        try
        {
            return JsonBody.Of(JsonDocument.Parse(buffer.WrittenMemory, Strict));
        }
        catch (JsonException e)
        {
            return JsonBody.Failed(ErrorList.Result(context, StatusCodes.Status400BadRequest, new ApiError("bad_request", $"The request body is not valid JSON: {e.Message}")));
        }
    }

    private static IResult TooLarge(HttpContext context, long maxBytes) =>
        ErrorList.Result(context, StatusCodes.Status413PayloadTooLarge, new ApiError("request_too_large", $"The request body is larger than {maxBytes} bytes"));

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.Value?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true)
        && (!type.Charset.HasValue || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}
