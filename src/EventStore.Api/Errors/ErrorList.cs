using System.Text.Json;
using EventStore.Domain;

namespace EventStore.Api.Errors;

/// <summary>One entry of Intercom's error body.</summary>
public sealed record ApiError(string Code, string Message, string? Field = null);

/// <summary>
/// Writes Intercom's <c>error.list</c> body, the only error shape this service ever answers with,
/// carrying the request id that the server log line of the same request holds.
/// </summary>
public static class ErrorList
{
    public static int StatusOf(RejectionKind kind) => kind switch
    {
        RejectionKind.NotFound => StatusCodes.Status404NotFound,
        RejectionKind.Conflict => StatusCodes.Status409Conflict,
        RejectionKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status400BadRequest,
    };

    public static ApiError ToError(this Rejection rejection) => new(rejection.Code, rejection.Message, rejection.Field);

    public static Task WriteAsync(HttpContext context, int status, params IReadOnlyList<ApiError> errors)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        return response.Body.WriteAsync(Serialize(context.RequestId(), errors)).AsTask();
    }

    public static IResult Result(HttpContext context, int status, params IReadOnlyList<ApiError> errors) =>
        new ErrorResult(status, Serialize(context.RequestId(), errors));

    public static IResult Result(HttpContext context, IReadOnlyList<Rejection> rejections) =>
        Result(context, StatusOf(rejections[0].Kind), [.. rejections.Select(r => r.ToError())]);

    private sealed class ErrorResult(int status, byte[] body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            return httpContext.Response.Body.WriteAsync(body).AsTask();
        }
    }

    private static byte[] Serialize(string requestId, IReadOnlyList<ApiError> errors)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error.list");
            writer.WriteString("request_id", requestId);
            writer.WriteStartArray("errors");
            foreach (var error in errors)
            {
                writer.WriteStartObject();
                writer.WriteString("code", error.Code);
                writer.WriteString("message", error.Message);
                if (error.Field is not null)
                {
                    writer.WriteString("field", error.Field);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
