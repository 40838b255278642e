using System.Collections.ObjectModel;

namespace EventStore.LocalPostgres;

/// <summary>
/// Describes the private cluster to run, so development, integration tests and fault-injection tests
/// can each get a PostgreSQL server without a pre-installed, pre-configured service.
/// </summary>
public sealed record LocalPostgresOptions
{
    /// <summary>
    /// Cluster folder, created if missing. A persistent folder keeps data across runs; a fresh temp folder
    /// gives a test an isolated server.
    /// </summary>
    public required string DataDirectory { get; init; }

    /// <summary>Deletes the folder on dispose so throwaway test clusters leave nothing behind.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>
    /// Fixed TCP port. Null reuses the port recorded for this cluster so a development connection string stays
    /// stable across runs, or picks a free port on 127.0.0.1 when there is none or it is taken.
    /// </summary>
    public int? Port { get; init; }

    /// <summary>Database the application uses; created if missing so callers need no bootstrap SQL.</summary>
    public string Database { get; init; } = "eventstore";

    /// <summary>
    /// Extra server settings passed as <c>-c key=value</c>, so tests can trade durability for speed
    /// (e.g. <c>fsync=off</c>) without touching the cluster's configuration files.
    /// </summary>
    public IReadOnlyDictionary<string, string> ServerSettings { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>
    /// Takes over a server found running in the folder when the process that started it has exited (a killed run), so
    /// that it is stopped on dispose like one this instance started. A server whose starter still runs is never stopped.
    /// </summary>
    public bool AdoptOrphans { get; init; }

    /// <summary>Receives progress lines, because initdb and start-up can take seconds and failures need context.</summary>
    public Action<string>? Log { get; init; }
}
