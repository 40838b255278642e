using EventStore.Api.Errors;

namespace EventStore.Api.Protection;

/// <summary>
/// Size limits on what reaches the endpoints, each answered with a clear 4xx in <c>error.list</c> form.
/// Kestrel's own limits are set above ours as a backstop: Kestrel rejects before any middleware runs and so
/// answers with an empty body, while these checks answer in Intercom's shape. (Alba's in-memory TestServer
/// does not enforce Kestrel's limits; the checks below run in both.)
/// </summary>
public static class RequestLimits
{
    /// <summary>Path plus query string, in characters as received (percent-encoded): beyond it 414.</summary>
    public const int MaxUrlLength = 4096;

    /// <summary>Query parameters (a repeated name counts each time): beyond it 400 <c>parameter_invalid</c>.</summary>
    public const int MaxQueryParameters = 32;

    /// <summary>All request headers together (names, values and separators): beyond it 431.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Number of request headers: beyond it 431.</summary>
    public const int MaxHeaderCount = 64;

    /// <summary>
    /// Kestrel's hard limits, above ours so that ours answer first with a body. A body limit per endpoint is
    /// enforced while reading (1 MiB for POST /events); Kestrel's is only the ceiling for every endpoint.
    /// All can be overridden with <c>Kestrel:Limits:*</c> (for example <c>Kestrel:Limits:MaxRequestBodySize</c>).
    /// </summary>
    public static WebApplicationBuilder ConfigureKestrelLimits(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var limits = kestrel.Limits;
            limits.MaxRequestBodySize = 16 * 1024 * 1024;
            limits.MaxRequestLineSize = 2 * MaxUrlLength + 1024;
            limits.MaxRequestHeadersTotalSize = 2 * MaxHeaderBytes;
            limits.MaxRequestHeaderCount = 2 * MaxHeaderCount;
            limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
            limits.Http2.MaxRequestHeaderFieldSize = 2 * MaxHeaderBytes;
            builder.Configuration.GetSection("Kestrel:Limits").Bind(limits);
        });
        return builder;
    }

    /// <summary>Checks the URL and the headers before authentication, so no oversized request reaches an endpoint.</summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Check(context.Request) is { } refusal)
        {
            await ErrorList.WriteAsync(context, refusal.Status, refusal.Error);
            return;
        }

        await next(context);
    });

    private static (int Status, ApiError Error)? Check(HttpRequest request)
    {
        var urlLength = (request.PathBase.Value?.Length ?? 0) + (request.Path.Value?.Length ?? 0) + (request.QueryString.Value?.Length ?? 0);
        if (urlLength > MaxUrlLength)
        {
            return (StatusCodes.Status414UriTooLong,
                new ApiError("parameter_invalid", $"The URL is longer than {MaxUrlLength} characters"));
        }

        if (request.Query.Sum(p => Math.Max(1, p.Value.Count)) > MaxQueryParameters)
        {
            return (StatusCodes.Status400BadRequest,
                new ApiError("parameter_invalid", $"The query string has more than {MaxQueryParameters} parameters"));
        }

        var count = 0;
        long bytes = 0;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                count++;
                bytes += name.Length + (value?.Length ?? 0) + 4;
            }
        }

        if (count > MaxHeaderCount || bytes > MaxHeaderBytes)
        {
            return (StatusCodes.Status431RequestHeaderFieldsTooLarge,
                new ApiError("request_too_large", $"The request headers exceed {MaxHeaderCount} fields or {MaxHeaderBytes} bytes"));
        }

        return null;
    }
}
