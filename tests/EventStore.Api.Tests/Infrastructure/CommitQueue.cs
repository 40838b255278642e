using System.Globalization;
using System.Text.RegularExpressions;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// What <c>eventstore.commit.pending</c> (scraped from <c>/metrics</c>, as an operator's Prometheus does) says of a
/// workspace: events whose requests wait for their commit. How a test knows requests are queued, not just sent.
/// </summary>
public static partial class CommitQueue
{
    public static async Task<long> PendingAsync(HttpClient client, string workspace)
    {
        var body = await client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return PendingLine().Matches(body).Where(m => m.Groups["labels"].Value.Contains($"workspace=\"{workspace}\"", StringComparison.Ordinal))
            .Sum(m => long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>Polls until at least <paramref name="count"/> events of the workspace wait for their commit (at most 30 s).</summary>
    public static Task WaitForPendingAsync(HttpClient client, string workspace, int count) =>
        Waits.Until(async () => await PendingAsync(client, workspace) >= count, TimeSpan.FromSeconds(30),
            $"{count} events of {workspace} to wait for their commit (eventstore_commit_pending)");

    [GeneratedRegex(@"^eventstore_commit_pending\{(?<labels>[^}]*)\} (?<value>\d+)", RegexOptions.Multiline)]
    private static partial Regex PendingLine();
}
