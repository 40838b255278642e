using System.Runtime.InteropServices;

namespace EventStore.LocalPostgres;

/// <summary>
/// Finds the server binaries (Debian keeps them off PATH) and runs them as the right OS user, because initdb and
/// postgres refuse to run as root, which is how CI and agent sessions run.
/// </summary>
internal sealed class PostgresTools
{
    private const string PostgresUser = "postgres";
    private static readonly string[] RequiredTools = ["initdb", "pg_ctl", "postgres"];
    private static readonly string[] RunuserCandidates = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"];

    private PostgresTools(string binDirectory, bool runAsPostgresUser)
    {
        BinDirectory = binDirectory;
        RunAsPostgresUser = runAsPostgresUser;
    }

    public string BinDirectory { get; }

    /// <summary>True when this process is root, so files must belong to, and tools run as, the postgres user.</summary>
    public bool RunAsPostgresUser { get; }

    public static async Task<PostgresTools> LocateAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var binDirectory = await FindBinDirectoryAsync(dataDirectory, cancellationToken).ConfigureAwait(false);
        return new PostgresTools(binDirectory, IsRoot());
    }

    public Task<ProcessResult> RunAsync(string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var executable = Path.Combine(BinDirectory, tool);
        if (!RunAsPostgresUser)
        {
            return ProcessRunner.RunAsync(executable, arguments, timeout, cancellationToken);
        }

        var runuser = RunuserCandidates.FirstOrDefault(File.Exists) ?? "runuser";
        return ProcessRunner.RunAsync(runuser, ["-u", PostgresUser, "--", executable, .. arguments], timeout, cancellationToken);
    }

    /// <summary>Hands paths created by root over to the postgres user; a no-op when not root.</summary>
    public async Task GiveToPostgresUserAsync(IReadOnlyList<string> paths, bool recursive, CancellationToken cancellationToken)
    {
        if (!RunAsPostgresUser || paths.Count == 0)
        {
            return;
        }

        string[] arguments = recursive ? ["-R", $"{PostgresUser}:{PostgresUser}", "--", .. paths] : [$"{PostgresUser}:{PostgresUser}", "--", .. paths];
        (await ProcessRunner.RunAsync("chown", arguments, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false))
            .EnsureSuccess("Could not hand the cluster folder to the postgres OS user.");
    }

    private static async Task<string> FindBinDirectoryAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("PG_BIN");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return HasServerTools(fromEnvironment)
                ? Path.GetFullPath(fromEnvironment)
                : throw new InvalidOperationException($"PG_BIN is set to '{fromEnvironment}', but it does not contain {string.Join(", ", RequiredTools)}.");
        }

        // An existing cluster can only be run by its own major version; prefer it when several are installed.
        var clusterVersion = TryReadFirstLine(Path.Combine(dataDirectory, "PG_VERSION"));
        if (clusterVersion is not null)
        {
            var matching = Path.Combine("/usr/lib/postgresql", clusterVersion, "bin");
            if (HasServerTools(matching))
            {
                return matching;
            }
        }

        var pgConfig = FindOnPath("pg_config");
        if (pgConfig is not null)
        {
            try
            {
                var result = await ProcessRunner.RunAsync(pgConfig, ["--bindir"], TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
                var directory = result.StandardOutput.Trim();
                if (result.Succeeded && directory.Length > 0 && HasServerTools(directory))
                {
                    return directory;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // Fall through to the directory scan.
            }
        }

        var scanned = ScanDebianLayout();
        if (scanned is not null)
        {
            return scanned;
        }

        var initdb = FindOnPath("initdb");
        if (initdb is not null && HasServerTools(Path.GetDirectoryName(initdb)!))
        {
            return Path.GetDirectoryName(initdb)!;
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found via PG_BIN, pg_config --bindir, "
            + "/usr/lib/postgresql/<version>/bin or PATH. Install the PostgreSQL server package or set PG_BIN.");
    }

    private static string? ScanDebianLayout()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.EnumerateDirectories(root)
            .Select(directory => (Directory: directory, Version: ParseVersion(Path.GetFileName(directory))))
            .Where(candidate => candidate.Version is not null && HasServerTools(Path.Combine(candidate.Directory, "bin")))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => Path.Combine(candidate.Directory, "bin"))
            .FirstOrDefault();
    }

    private static Version? ParseVersion(string name)
    {
        // Debian uses "15" or, for old releases, "9.6"; Version needs two components.
        var text = name.Contains('.', StringComparison.Ordinal) ? name : name + ".0";
        return Version.TryParse(text, out var version) ? version : null;
    }

    private static bool HasServerTools(string directory) =>
        RequiredTools.All(tool => File.Exists(Path.Combine(directory, tool)));

    private static string? FindOnPath(string executable) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, executable))
            .FirstOrDefault(File.Exists);

    private static string? TryReadFirstLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsRoot()
    {
        try
        {
            return GetEffectiveUserId() == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Environment.UserName == "root";
        }
    }

    // DllImport rather than LibraryImport: the latter needs AllowUnsafeBlocks for no benefit on a blittable call.
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
