using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventStore.Api.Http;

/// <summary>The wire conventions of every JSON response: snake_case names, nulls written (Intercom shows <c>"description": null</c>).</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>URLs in pages links stay readable: JSON served as application/json needs no HTML escaping of '&amp;'.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Utf8JsonWriter Writer(Stream stream) => new(stream, WriterOptions);

    public static IResult Ok<T>(T value) => Results.Json(value, Options, "application/json; charset=utf-8", StatusCodes.Status200OK);

    /// <summary>Unix seconds as Intercom's summaries show them: ISO-8601 UTC with milliseconds.</summary>
    public static string Iso8601(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
