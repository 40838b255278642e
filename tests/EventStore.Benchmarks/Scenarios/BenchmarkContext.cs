using EventStore.Benchmarks.Orchestration;
using EventStore.Benchmarks.Reporting;

namespace EventStore.Benchmarks.Scenarios;

/// <summary>What every scenario of a run shares: options, the server, the published API, results.</summary>
internal sealed class BenchmarkContext(BenchmarkOptions options, BenchmarkPostgres postgres, ApiDeployment api, string workDirectory)
{
    private int _phases;

    public BenchmarkOptions Options { get; } = options;

    public BenchmarkPostgres Postgres { get; } = postgres;

    public ApiDeployment Api { get; } = api;

    public string WorkDirectory { get; } = workDirectory;

    public BenchmarkResults Results { get; } = new();

    /// <summary>A created_at base no earlier phase of this run used, so every generated event is new.</summary>
    public long NextPhaseBase() => Load.SyntheticEvents.PhaseBase(++_phases);
}
