using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace EventStore.Api.WebConsole;

/// <summary>
/// The web console at <c>/console</c>: static files embedded in this assembly (no build step, no Node.js, nothing on
/// disk to lose), served without a token (they hold no data: every page reads the JSON API with the token the person
/// signs in with) and with a strict Content-Security-Policy: scripts, styles and requests only from this origin, no
/// inline script or style, no framing. See ADR 0016.
/// </summary>
public static class ConsoleSite
{
    public const string Path = "/console";

    /// <summary>What a console page may load and do: its own files and the API, nothing else.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IApplicationBuilder UseConsole(this IApplicationBuilder app)
    {
        // Resources are named console.<file> (EventStore.Api.csproj), so "/app.js" is "console.app.js".
        var files = new EmbeddedFileProvider(typeof(ConsoleSite).Assembly, "console");
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals(Path, StringComparison.Ordinal))
            {
                context.Response.Redirect($"{Path}/", permanent: false);
                return;
            }

            await next(context);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { RequestPath = Path, FileProvider = files });
        return app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = Path,
            FileProvider = files,
            OnPrepareResponse = file =>
            {
                var headers = file.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                // Revalidated on every load (ETag): a new version of the service shows its new console at once.
                headers.CacheControl = "no-cache";
                headers[HeaderNames.Vary] = "Accept-Encoding";
            },
        });
    }
}
