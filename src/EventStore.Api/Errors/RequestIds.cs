namespace EventStore.Api.Errors;

/// <summary>
/// Gives every request a UUID, returned in error bodies and in the X-Request-Id header and attached to
/// every log line of the request, so an operator can go from a client's request_id to the log.
/// </summary>
public static class RequestIds
{
    private const string Key = "request_id";

    public static string RequestId(this HttpContext context) =>
        context.Items.TryGetValue(Key, out var id) && id is string value ? value : context.TraceIdentifier;

    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var id = Guid.NewGuid().ToString();
        context.Items[Key] = id;
        context.TraceIdentifier = id;
        context.Response.Headers["X-Request-Id"] = id;
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("EventStore.Api.Requests");
        using (logger.BeginScope(new Dictionary<string, object> { [Key] = id }))
        {
            await next(context);
        }
    });
}
