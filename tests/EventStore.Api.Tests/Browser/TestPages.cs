using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventStore.Api.Tests.Browser;

/// <summary>
/// The customer's web site, for the browser tests: a small static host on 127.0.0.1, another origin than the service,
/// serving the pages a test adds and the vendored npm package (Browser/vendor). Reached as <c>localhost</c> instead,
/// the same pages are of yet another origin, one no workspace allows.
/// </summary>
public sealed class TestPages : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, string> pages = new(StringComparer.Ordinal);
    private int count;

    private TestPages(WebApplication app) => this.app = app;

    /// <summary>E.g. http://127.0.0.1:41235/</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The origin the service allows, e.g. http://127.0.0.1:41235.</summary>
    public string Origin => Address.GetLeftPart(UriPartial.Authority);

    /// <summary>The same host by another name: an origin no workspace allows.</summary>
    public Uri OtherOriginAddress => new($"http://localhost:{Address.Port}/");

    public static async Task<TestPages> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var vendor = Path.Combine(AppContext.BaseDirectory, "Browser", "vendor");
        var site = new TestPages(builder.Build());
        site.app.MapGet("/vendor/{**file}", (string file) =>
        {
            var path = Path.GetFullPath(Path.Combine(vendor, file));
            return path.StartsWith(vendor, StringComparison.Ordinal) && File.Exists(path)
                ? Results.File(path, path.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript" : "text/plain")
                : Results.NotFound();
        });
        site.app.MapGet("/pages/{name}", (string name) =>
            site.pages.TryGetValue(name, out var html) ? Results.Content(html, "text/html; charset=utf-8") : Results.NotFound());
        await site.app.StartAsync(TestContext.Current.CancellationToken);
        var address = site.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        site.Address = new Uri(address.TrimEnd('/') + "/");
        return site;
    }

    /// <summary>Publishes <paramref name="html"/> and returns its path (relative to either address).</summary>
    public string Add(string html)
    {
        var name = $"page-{Interlocked.Increment(ref count)}.html";
        pages[name] = html;
        return $"/pages/{name}";
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
