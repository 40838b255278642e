using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(EventStore.Api.Tests.Browser.Chromium))]

namespace EventStore.Api.Tests.Browser;

/// <summary>
/// The machine's Chromium (Debian's <c>chromium</c> package), driven headless by Playwright, launched once per test run
/// on first use and shared by every browser test; each test gets a context of its own (<see cref="OpenAsync"/>), so
/// storage and cookies never leak between tests. No browser is downloaded: a machine without Chromium fails the
/// browser tests (install it with <c>apt-get install -y chromium</c>, as <c>.ci/run</c> does), it never skips them.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    /// <summary>Another Chromium binary to use instead of the one on PATH.</summary>
    public const string EnvironmentVariable = "EVENTSTORE_TEST_CHROMIUM";

    /// <summary>The longest any single browser action or wait may take before the test fails.</summary>
    public static readonly TimeSpan ActionTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan LaunchTimeout = TimeSpan.FromSeconds(90);

    private readonly SemaphoreSlim launching = new(1, 1);
    private IPlaywright? playwright;
    private IBrowser? browser;

    public ValueTask InitializeAsync()
    {
        // Playwright's web-first assertions (Expect) wait at most this long too.
        Assertions.SetDefaultExpectTimeout((float)ActionTimeout.TotalMilliseconds);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A new, isolated browser context and page whose relative URLs resolve against <paramref name="baseAddress"/>,
    /// recording console errors, uncaught exceptions and failed requests (<see cref="BrowserPage.ShouldHaveNoErrors"/>).
    /// </summary>
    public async Task<BrowserPage> OpenAsync(Uri baseAddress, Action<BrowserNewContextOptions>? configure = null)
    {
        var options = new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            ColorScheme = ColorScheme.Light,
            Locale = "en-US",
            TimezoneId = "UTC",
        };
        configure?.Invoke(options);
        var context = await (await BrowserAsync()).NewContextAsync(options);
        context.SetDefaultTimeout((float)ActionTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)ActionTimeout.TotalMilliseconds);
        return await BrowserPage.OpenAsync(context);
    }

    /// <summary>The Chromium binary: <see cref="EnvironmentVariable"/>, else <c>chromium</c> (or <c>chromium-browser</c>) on PATH.</summary>
    public static string ExecutablePath() =>
        ExecutablePath(Environment.GetEnvironmentVariable(EnvironmentVariable), Environment.GetEnvironmentVariable("PATH"));

    internal static string ExecutablePath(string? configured, string? searchPath)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{EnvironmentVariable} names {configured}, which does not exist.");
        }

        var folders = (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return new[] { "chromium", "chromium-browser" }
            .SelectMany(name => folders.Select(folder => Path.Combine(folder, name)))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "No Chromium found on PATH (chromium or chromium-browser): the browser tests need it. " +
                $"Install it with `apt-get install -y chromium`, or set {EnvironmentVariable} to a Chromium binary.");
    }

    private async Task<IBrowser> BrowserAsync()
    {
        if (browser is not null)
        {
            return browser;
        }

        if (!await launching.WaitAsync(LaunchTimeout))
        {
            throw new TimeoutException($"Chromium was not launched within {LaunchTimeout.TotalSeconds} s");
        }

        try
        {
            if (browser is null)
            {
                var executable = ExecutablePath();
                playwright ??= await Playwright.CreateAsync().WaitAsync(LaunchTimeout);
                browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = executable,
                    Headless = true,
                    Timeout = (float)LaunchTimeout.TotalMilliseconds,
                    // CI and these machines run as root, where Chromium refuses its sandbox; /dev/shm may be small.
                    Args = ["--no-sandbox", "--disable-dev-shm-usage"],
                });
            }

            return browser;
        }
        finally
        {
            launching.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.CloseAsync();
        }

        playwright?.Dispose();
        launching.Dispose();
    }
}
