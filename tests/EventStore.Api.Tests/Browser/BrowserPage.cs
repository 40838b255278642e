using Microsoft.Playwright;

namespace EventStore.Api.Tests.Browser;

/// <summary>
/// One page in a context of its own, recording what a person would see go wrong: errors written to the browser's
/// console, uncaught exceptions and requests that failed. A test ends with <see cref="ShouldHaveNoErrors"/>, after
/// allowing the few it expects (<see cref="Expect"/>, e.g. the 401 of a wrong token).
/// </summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private readonly List<string> problems = [];
    private readonly List<string> expected = [];

    private BrowserPage(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                Record($"console {message.Type}: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => Record($"uncaught exception: {error}");
        page.RequestFailed += (_, request) =>
        {
            // A navigation away cancels what the previous page was still fetching; that is not a failure.
            if (request.Failure is not "net::ERR_ABORTED")
            {
                Record($"request failed: {request.Method} {request.Url}: {request.Failure}");
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>What went wrong so far, less what the test expected.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (problems)
            {
                return [.. problems.Where(p => !expected.Any(e => p.Contains(e, StringComparison.Ordinal)))];
            }
        }
    }

    internal static async Task<BrowserPage> OpenAsync(IBrowserContext context) => new(context, await context.NewPageAsync());

    /// <summary>Lets problems containing <paramref name="text"/> pass, e.g. "status of 401" for a refused token.</summary>
    public void Expect(string text)
    {
        lock (problems)
        {
            expected.Add(text);
        }
    }

    public void ShouldHaveNoErrors() =>
        Problems.ShouldBeEmpty($"the page at {Page.Url} reported:{Environment.NewLine}{string.Join(Environment.NewLine, Problems)}");

    private void Record(string problem)
    {
        lock (problems)
        {
            problems.Add(problem);
        }
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
