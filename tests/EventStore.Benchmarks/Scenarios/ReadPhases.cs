using EventStore.Benchmarks.Load;
using EventStore.Benchmarks.Orchestration;
using EventStore.Benchmarks.Reporting;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>Runs one read request kind at each read concurrency and records its latency.</summary>
internal static class ReadPhases
{
    public static async Task RunAsync(
        BenchmarkContext context, ApiProcess api, string request, string store, WrkScript script, CancellationToken cancellation)
    {
        foreach (var concurrency in context.Options.ReadConcurrencies)
        {
            var result = await Wrk.RunAsync(api.BaseAddress, script, concurrency, context.Options.PhaseDuration, context.WorkDirectory, cancellation);
            Console.WriteLine($"  {request,-60} c={concurrency,-3} {result.RequestsPerSecond,8:N0} req/s  p50 {result.P50Milliseconds:0.00} ms  p99 {result.P99Milliseconds:0.00} ms");
            if (result.UnexpectedResponses(200) > 0 || result.SocketErrors > 0)
            {
                context.Results.Note($"{request} at concurrency {concurrency}: responses other than 200: {result.DescribeStatuses()}");
            }

            context.Results.Reads.Add(new ReadPoint(request, store, concurrency, result));
        }
    }
}
