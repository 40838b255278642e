using System.Diagnostics;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>Waiting for something the service does asynchronously: always polled, always with a deadline.</summary>
public static class Waits
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> when the deadline passes.</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            stopwatch.Elapsed.ShouldBeLessThan(deadline, $"waited {deadline.TotalSeconds:0}s for: {what}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public static Task Until(Func<bool> condition, TimeSpan deadline, string what) => Until(() => Task.FromResult(condition()), deadline, what);
}
