namespace EventStore.Benchmarks.Load;

/// <summary>What one wrk run counted: completed requests, latency percentiles and the status of every response.</summary>
internal sealed record WrkResult(
    long Requests,
    TimeSpan Duration,
    double P50Milliseconds,
    double P99Milliseconds,
    IReadOnlyDictionary<int, long> Statuses,
    long SocketErrors,
    long BulkAccepted,
    long BulkDuplicates,
    long BulkRejected)
{
    public double RequestsPerSecond => Requests / Duration.TotalSeconds;

    public long CountOf(int status) => Statuses.GetValueOrDefault(status);

    public long UnexpectedResponses(int expectedStatus) => Statuses.Where(s => s.Key != expectedStatus).Sum(s => s.Value);

    public string DescribeStatuses() =>
        string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")) + (SocketErrors > 0 ? $", socket errors/timeouts: {SocketErrors}" : string.Empty);
}
