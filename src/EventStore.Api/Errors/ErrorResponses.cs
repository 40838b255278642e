using EventStore.Api.Http;
using EventStore.Api.Persistence;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace EventStore.Api.Errors;

/// <summary>
/// Turns everything the framework can fail with into an <c>error.list</c> body: unknown routes,
/// wrong methods, oversized bodies, an unreachable database, and, as a last resort, bugs (500,
/// logged with the request id). A request must never get a bare status or an HTML page.
/// </summary>
public static class ErrorResponses
{
    public static IApplicationBuilder UseErrorList(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(handler => handler.Run(async context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var (status, error) = Classify(exception);
            if (status >= 500)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("EventStore.Api.Errors")
                    .LogError(exception, "Request {RequestId} failed with {Status}", context.RequestId(), status);
            }

            if (status == StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = "5";
            }

            await ErrorList.WriteAsync(context, status, error);
        }));

        // Routing answers 404/405 (and Kestrel 413 before any endpoint runs) with an empty body: fill it in.
        app.UseStatusCodePages(async statusContext =>
        {
            var context = statusContext.HttpContext;
            var error = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => new ApiError("not_found", $"No resource at {context.Request.Method} {context.Request.Path}"),
                StatusCodes.Status405MethodNotAllowed => new ApiError("method_not_allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}"),
                StatusCodes.Status413PayloadTooLarge => TooLarge,
                StatusCodes.Status415UnsupportedMediaType => RequestBody.UnsupportedMediaType,
                StatusCodes.Status401Unauthorized => new ApiError("unauthorized", "Access Token Invalid"),
                StatusCodes.Status403Forbidden => new ApiError("forbidden", "This token is not allowed to do this"),
                var other => new ApiError(other >= 500 ? "server_error" : "bad_request", $"Request failed with status {other}"),
            };
            await ErrorList.WriteAsync(context, context.Response.StatusCode, error);
        });
        return app;
    }

    private static ApiError TooLarge => new("request_too_large", "The request body is larger than this endpoint accepts");

    private static (int Status, ApiError Error) Classify(Exception? exception) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, TooLarge),
        BadHttpRequestException bad => (bad.StatusCode, new ApiError("bad_request", bad.Message)),
        _ when WriteConflicts.IsDatabaseUnavailable(exception) => (StatusCodes.Status503ServiceUnavailable,
            new ApiError("service_unavailable", "The event store is unavailable; retry later")),
        OperationCanceledException or TimeoutException => (StatusCodes.Status503ServiceUnavailable,
            new ApiError("service_unavailable", "The request timed out; retry later")),
        // Still racing other writers after every retry: nothing was stored, and a later attempt will get through.
        _ when exception is not null && WriteConflicts.IsConflict(exception) => (StatusCodes.Status503ServiceUnavailable,
            new ApiError("service_unavailable", "The event store is busy with concurrent writes; retry later")),
        _ => (StatusCodes.Status500InternalServerError, new ApiError("server_error", "Unexpected server error")),
    };
}
