using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace EventStore.LocalPostgres;

/// <summary>
/// A private PostgreSQL cluster run from the machine's installed binaries, so development and tests need neither a
/// system service nor containers, and fault-injection tests can stop, kill and restart the server at will.
/// </summary>
/// <remarks>
/// Linux and macOS only. Dispose stops only a server this instance started (or restarted); a server that was already
/// running in the folder belongs to whoever started it. <see cref="StopAsync"/>, <see cref="KillAsync"/> and
/// <see cref="RestartAsync"/> act on the cluster regardless, because a caller invoking them means it.
/// </remarks>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    private const string Host = "127.0.0.1";
    private const string PortFileName = "eventstore-port";
    private const string OwnerFileName = "eventstore-owner";
    private const string ServerLogFileName = "server.log";
    private const string SocketFolderName = "sock";
    private const string PidFileName = "postmaster.pid";
    private const int PgCtlWaitSeconds = 60;
    private const int MaxUnixSocketPathLength = 103; // sun_path is 108 bytes on Linux, 104 on macOS, including the NUL.
    private const long ServerLogRotateBytes = 16 * 1024 * 1024;
    private static readonly TimeSpan PgCtlProcessTimeout = TimeSpan.FromSeconds(PgCtlWaitSeconds + 30);
    private static readonly TimeSpan InitdbTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ConnectRetryWindow = TimeSpan.FromSeconds(30);

    private readonly LocalPostgresOptions _options;
    private readonly PostgresTools _tools;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _ownsServer;
    private bool _disposed;

    private LocalPostgresCluster(LocalPostgresOptions options, string dataDirectory, PostgresTools tools)
    {
        _options = options;
        _tools = tools;
        DataDirectory = dataDirectory;
    }

    /// <summary>Trust-auth connection string for the application database; pooling is left to the caller.</summary>
    public string ConnectionString => BuildConnectionString(_options.Database, pooling: null);

    /// <summary>TCP port on 127.0.0.1; stays the same across <see cref="RestartAsync"/> so open connection strings remain valid.</summary>
    public int Port { get; private set; }

    /// <summary>
    /// True when disposing this instance stops the server: it started it, or adopted it from a process that started it
    /// and is gone (<see cref="LocalPostgresOptions.AdoptOrphans"/>). False when another live process started it.
    /// </summary>
    public bool StopsOnDispose => _ownsServer || _options.Ephemeral;

    /// <summary>Absolute cluster folder, for diagnostics and for tests that inspect server files.</summary>
    public string DataDirectory { get; }

    private string PidFilePath => Path.Combine(DataDirectory, PidFileName);

    private string OwnerFilePath => Path.Combine(DataDirectory, OwnerFileName);

    private string ServerLogPath => Path.Combine(DataDirectory, ServerLogFileName);

    /// <summary>
    /// Initialises the cluster if needed, starts it (or attaches to one already running in the folder) and makes sure
    /// the application database exists, so the returned connection string is immediately usable.
    /// </summary>
    public static async Task<LocalPostgresCluster> StartAsync(LocalPostgresOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("LocalPostgresCluster supports Linux and macOS; configure a connection string instead.");
        }

        var dataDirectory = Validate(options);
        var tools = await PostgresTools.LocateAsync(dataDirectory, cancellationToken).ConfigureAwait(false);
        var cluster = new LocalPostgresCluster(options, dataDirectory, tools);
        cluster.Log($"using PostgreSQL binaries in {tools.BinDirectory}{(tools.RunAsPostgresUser ? " (as OS user postgres)" : string.Empty)}");
        try
        {
            await cluster.InitialiseAsync(cancellationToken).ConfigureAwait(false);
            var running = cluster.ReadLivePostmaster();
            if (running is { Port: int runningPort })
            {
                cluster.Port = runningPort;
                if (options.Port is int requested && requested != runningPort)
                {
                    cluster.Log($"requested port {requested} ignored: the cluster is already running on port {runningPort}");
                }

                if (options.AdoptOrphans && cluster.TryAdoptOrphan())
                {
                    cluster.Log($"adopted PostgreSQL left running in {dataDirectory} on port {runningPort} (pid {running.Pid}) by a process that has exited; it stops with this one");
                }
                else
                {
                    cluster.Log($"reusing PostgreSQL already running in {dataDirectory} on port {runningPort} (pid {running.Pid})");
                }
            }
            else
            {
                await cluster.StartServerAsync(cluster.ChooseInitialPort(), allowOtherPort: options.Port is null, cancellationToken).ConfigureAwait(false);
            }

            await cluster.EnsureDatabaseAsync(cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.CleanUpAfterFailedStartAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Fast shutdown (clients disconnected, clean checkpoint), e.g. to test the application's reaction to an outage.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) =>
        WithGateAsync(() => StopServerAsync("fast", cancellationToken), cancellationToken);

    /// <summary>Immediate shutdown without a checkpoint, so the next start performs crash recovery like after a real crash.</summary>
    public Task KillAsync(CancellationToken cancellationToken = default) =>
        WithGateAsync(() => StopServerAsync("immediate", cancellationToken), cancellationToken);

    /// <summary>Brings the server back after Stop/Kill on the same port and data, so the application can reconnect unchanged.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) =>
        WithGateAsync(
            async () =>
            {
                var running = ReadLivePostmaster();
                if (running is not null)
                {
                    if (running.Port != Port)
                    {
                        throw new InvalidOperationException(
                            $"The cluster in {DataDirectory} was started elsewhere on port {running.Port}, not {Port}.");
                    }

                    Log($"already running on port {Port}");
                }
                else
                {
                    await StartServerAsync(Port, allowOtherPort: false, cancellationToken).ConfigureAwait(false);
                }

                await EnsureDatabaseAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    /// <summary>
    /// Stops the server if this instance started it and deletes the folder when ephemeral (stopping any server in it
    /// first), so neither processes nor files outlive their owner.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await ShutDownOwnedServerAsync().ConfigureAwait(false);
            if (_options.Ephemeral)
            {
                await DeleteDataDirectoryAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string Validate(LocalPostgresOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            throw new ArgumentException("DataDirectory is required.", nameof(options));
        }

        var dataDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.DataDirectory));
        // pg_ctl embeds the data and log paths in double quotes in a /bin/sh command line.
        if (dataDirectory.IndexOfAny(['"', '$', '`', '\\', '\n', '\r']) >= 0)
        {
            throw new ArgumentException($"DataDirectory '{dataDirectory}' contains characters pg_ctl cannot quote (\" $ ` \\ or a newline).", nameof(options));
        }

        if (options.Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Port must be between 1 and 65535.");
        }

        if (string.IsNullOrEmpty(options.Database) || Encoding.UTF8.GetByteCount(options.Database) > 63 || options.Database.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("Database must be a non-empty name of at most 63 bytes.", nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.ServerSettings);
        foreach (var key in options.ServerSettings.Keys)
        {
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                throw new ArgumentException($"'{key}' is not a valid server setting name.", nameof(options));
            }
        }

        return dataDirectory;
    }

    private async Task InitialiseAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(DataDirectory);
        if (_tools.RunAsPostgresUser)
        {
            MakeAncestorsTraversable();
            await _tools.GiveToPostgresUserAsync([DataDirectory], recursive: true, cancellationToken).ConfigureAwait(false);
        }

        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        Log($"initialising cluster in {DataDirectory}");
        var first = await RunInitdbAsync("C.UTF-8", cancellationToken).ConfigureAwait(false);
        if (first.Succeeded)
        {
            return;
        }

        Log("initdb with locale C.UTF-8 failed; retrying with locale C");
        var second = await RunInitdbAsync("C", cancellationToken).ConfigureAwait(false);
        if (!second.Succeeded)
        {
            throw new InvalidOperationException(
                $"initdb failed in {DataDirectory}.{Environment.NewLine}{first.Describe()}{Environment.NewLine}{second.Describe()}");
        }
    }

    private Task<ProcessResult> RunInitdbAsync(string locale, CancellationToken cancellationToken) =>
        _tools.RunAsync(
            "initdb",
            ["-D", DataDirectory, "--username=postgres", "--auth=trust", "--encoding=UTF8", $"--locale={locale}"],
            InitdbTimeout,
            cancellationToken);

    /// <summary>Root-created temp folders can be 0700, which would stop the postgres user reaching its data.</summary>
    private void MakeAncestorsTraversable()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        for (var directory = Directory.GetParent(DataDirectory); directory is not null; directory = directory.Parent)
        {
            var mode = File.GetUnixFileMode(directory.FullName);
            if ((mode & UnixFileMode.OtherExecute) == 0)
            {
                File.SetUnixFileMode(directory.FullName, mode | UnixFileMode.OtherExecute);
                Log($"made {directory.FullName} traversable (o+x) for the postgres user");
            }
        }
    }

    private int ChooseInitialPort()
    {
        if (_options.Port is int requested)
        {
            return requested;
        }

        var recorded = ReadRecordedPort();
        if (recorded is int port)
        {
            if (IsPortFree(port))
            {
                return port;
            }

            Log($"recorded port {port} is in use by another process; picking a new one");
        }

        return FindFreePort();
    }

    private async Task StartServerAsync(int port, bool allowOtherPort, CancellationToken cancellationToken)
    {
        await PrepareRuntimeFilesAsync(cancellationToken).ConfigureAwait(false);
        const int maxAttempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            await RecordPortAsync(port, cancellationToken).ConfigureAwait(false);
            Log($"starting PostgreSQL in {DataDirectory} on port {port}");
            var logOffset = FileLength(ServerLogPath);
            ProcessResult result;
            try
            {
                result = await _tools.RunAsync(
                    "pg_ctl",
                    ["start", "-w", "-t", PgCtlWaitSeconds.ToString(CultureInfo.InvariantCulture), "-D", DataDirectory, "-l", ServerLogPath, "-o", BuildServerOptions(port)],
                    PgCtlProcessTimeout,
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Timed out or cancelled: whatever pg_ctl launched must not outlive this attempt.
                var logSoFar = ReadServerLog(logOffset);
                if (ReadLivePostmaster() is not null)
                {
                    await StopQuietlyAsync("immediate").ConfigureAwait(false);
                }

                if (e is TimeoutException or InvalidOperationException)
                {
                    throw new InvalidOperationException($"{e.Message}{ServerLogSection(logSoFar)}", e);
                }

                throw;
            }

            if (result.Succeeded)
            {
                Port = port;
                _ownsServer = true;
                RecordOwner();
                Log($"started on port {port}");
                return;
            }

            // pg_ctl gives up waiting without stopping the server it launched.
            if (ReadLivePostmaster() is not null)
            {
                await StopQuietlyAsync("immediate").ConfigureAwait(false);
            }

            var serverLog = ReadServerLog(logOffset);
            var portClash = serverLog.Contains("could not bind", StringComparison.OrdinalIgnoreCase)
                || serverLog.Contains("Address already in use", StringComparison.OrdinalIgnoreCase);
            if (!portClash || !allowOtherPort || attempt == maxAttempts)
            {
                throw new InvalidOperationException(
                    $"Could not start PostgreSQL in {DataDirectory} on port {port}. {result.Describe()}{ServerLogSection(serverLog)}");
            }

            var taken = port;
            port = FindFreePort();
            Log($"port {taken} was taken meanwhile; retrying on port {port}");
        }
    }

    private async Task PrepareRuntimeFilesAsync(CancellationToken cancellationToken)
    {
        // A postmaster.pid whose pid now belongs to an unrelated process would make postgres refuse to start.
        if (File.Exists(PidFilePath) && ReadPid() is int stalePid && !IsPostgresProcess(stalePid))
        {
            File.Delete(PidFilePath);
            Log($"removed stale {PidFileName} (pid {stalePid} is not a running postgres)");
        }

        var serverLogLength = FileLength(ServerLogPath);
        if (serverLogLength > ServerLogRotateBytes)
        {
            File.Move(ServerLogPath, ServerLogPath + ".old", overwrite: true);
        }

        if (!UnixSocketPathFits())
        {
            Log("data directory path too long for a Unix socket inside it; serving TCP only");
        }
        else if (!OperatingSystem.IsWindows())
        {
            var socketDirectory = Path.Combine(DataDirectory, SocketFolderName);
            if (!Directory.Exists(socketDirectory))
            {
                Directory.CreateDirectory(socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                await _tools.GiveToPostgresUserAsync([socketDirectory], recursive: false, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Which process started the server and stops it: its pid and start time (against pid reuse).</summary>
    private void RecordOwner()
    {
        using var self = Process.GetCurrentProcess();
        File.WriteAllText(OwnerFilePath, string.Create(CultureInfo.InvariantCulture, $"{self.Id}\n{self.StartTime.ToUniversalTime():O}\n"));
    }

    /// <summary>
    /// Takes over a running server whose recorded owner has exited (a killed run), so that it stops with this process
    /// instead of running on unowned. When two processes race for it, the one whose record stays owns it.
    /// </summary>
    private bool TryAdoptOrphan()
    {
        if (OwnerIsAlive())
        {
            return false;
        }

        RecordOwner();
        if (ReadOwner() != Environment.ProcessId)
        {
            return false;
        }

        _ownsServer = true;
        return true;
    }

    private int? ReadOwner()
    {
        try
        {
            var lines = File.ReadAllLines(OwnerFilePath);
            return lines.Length > 0 && int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private bool OwnerIsAlive()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(OwnerFilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        if (lines.Length < 2 || !int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !DateTime.TryParse(lines[1], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var started))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && Math.Abs((process.StartTime.ToUniversalTime() - started).TotalSeconds) < 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a record of who owns the server; a stale one is recognised by its dead process.
        }
    }

    private async Task RecordPortAsync(int port, CancellationToken cancellationToken)
    {
        var path = Path.Combine(DataDirectory, PortFileName);
        await File.WriteAllTextAsync(path, port.ToString(CultureInfo.InvariantCulture) + "\n", cancellationToken).ConfigureAwait(false);
        await _tools.GiveToPostgresUserAsync([path], recursive: false, cancellationToken).ConfigureAwait(false);
    }

    private int? ReadRecordedPort()
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(DataDirectory, PortFileName)).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535 ? port : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The -o value is pasted into a /bin/sh command line by pg_ctl, so every variable part is single-quoted.
    /// </summary>
    private string BuildServerOptions(int port)
    {
        var socketDirectory = UnixSocketPathFits() ? Path.Combine(DataDirectory, SocketFolderName) : string.Empty;
        var options = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"-p {port} -k {ShellQuote(socketDirectory)} -c listen_addresses={Host}");
        foreach (var (key, value) in _options.ServerSettings)
        {
            options.Append(" -c ").Append(ShellQuote($"{key}={value}"));
        }

        return options.ToString();
    }

    private bool UnixSocketPathFits() =>
        Encoding.UTF8.GetByteCount(Path.Combine(DataDirectory, SocketFolderName, ".s.PGSQL.65535")) <= MaxUnixSocketPathLength;

    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private async Task StopServerAsync(string mode, CancellationToken cancellationToken)
    {
        if (ReadLivePostmaster() is null)
        {
            _ownsServer = false;
            return;
        }

        var result = await _tools.RunAsync(
            "pg_ctl",
            ["stop", "-w", "-t", PgCtlWaitSeconds.ToString(CultureInfo.InvariantCulture), "-D", DataDirectory, "-m", mode],
            PgCtlProcessTimeout,
            cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && ReadLivePostmaster() is not null)
        {
            result.EnsureSuccess($"Could not stop PostgreSQL in {DataDirectory}.");
        }

        _ownsServer = false;
        TryDelete(OwnerFilePath);
        Log($"stopped ({mode})");
    }

    private async Task StopQuietlyAsync(string mode)
    {
        try
        {
            await StopServerAsync(mode, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            Log($"could not stop PostgreSQL ({mode}): {e.Message}");
        }
    }

    private async Task ShutDownOwnedServerAsync()
    {
        if ((!_ownsServer && !_options.Ephemeral) || ReadLivePostmaster() is null)
        {
            return;
        }

        try
        {
            await StopServerAsync("fast", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            Log($"fast shutdown failed, using immediate: {e.Message}");
            await StopServerAsync("immediate", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task CleanUpAfterFailedStartAsync()
    {
        try
        {
            if (_ownsServer || _options.Ephemeral)
            {
                if (ReadLivePostmaster() is not null)
                {
                    await StopQuietlyAsync("immediate").ConfigureAwait(false);
                }
            }

            if (_options.Ephemeral)
            {
                await DeleteDataDirectoryAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Log($"clean-up after failed start incomplete: {e.Message}");
        }
        finally
        {
            _disposed = true;
        }
    }

    private async Task DeleteDataDirectoryAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(DataDirectory))
                {
                    Directory.Delete(DataDirectory, recursive: true);
                    Log($"deleted {DataDirectory}");
                }

                return;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && attempt < 20)
            {
                // A just-stopped server's children may still be closing files.
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

    private async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        var connectionString = BuildConnectionString("postgres", pooling: false);
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", connection);
                exists.Parameters.Add(new NpgsqlParameter { Value = _options.Database });
                if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                {
                    return;
                }

                var quoted = "\"" + _options.Database.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
                try
                {
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    Log($"created database {quoted}");
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
                {
                    // Another process created it concurrently.
                }

                return;
            }
            catch (NpgsqlException e) when (e is not PostgresException { IsTransient: false } && !cancellationToken.IsCancellationRequested)
            {
                if (stopwatch.Elapsed > ConnectRetryWindow)
                {
                    throw new InvalidOperationException(
                        $"Could not connect to PostgreSQL on {Host}:{Port} within {ConnectRetryWindow.TotalSeconds:0}s: {e.Message}{ServerLogSection(-1)}", e);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private string BuildConnectionString(string database, bool? pooling)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = database,
            Username = "postgres",
        };
        if (pooling is bool value)
        {
            builder.Pooling = value;
        }

        return builder.ConnectionString;
    }

    private sealed record Postmaster(int Pid, int? Port);

    /// <summary>
    /// The server counts as running when postmaster.pid names a live postgres process (what pg_ctl status checks,
    /// plus a process-name check against pid reuse) that, where visible, works in this folder.
    /// </summary>
    private Postmaster? ReadLivePostmaster()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(PidFilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (lines.Length == 0 || !int.TryParse(lines[0].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        pid = Math.Abs(pid); // negative for a single-user backend
        if (pid == 0 || !IsPostgresProcess(pid) || !WorksInDataDirectory(pid))
        {
            return null;
        }

        int? port = lines.Length >= 4 && int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
        return new Postmaster(pid, port);
    }

    private int? ReadPid()
    {
        try
        {
            var first = File.ReadLines(PidFilePath).FirstOrDefault();
            return int.TryParse(first?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pid) && pid != 0 ? Math.Abs(pid) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsPostgresProcess(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && (process.ProcessName is "postgres" or "postmaster") && !IsZombie(pid);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// A killed postmaster nobody has reaped yet still answers kill(pid, 0); /proc shows it as a zombie.
    /// </summary>
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat.LastIndexOf(')');
            return afterName >= 0 && afterName + 2 < stat.Length && (stat[afterName + 2] is 'Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The postmaster's working directory is its data directory; checked where /proc lets us see it.</summary>
    private bool WorksInDataDirectory(int pid)
    {
        string? workingDirectory;
        try
        {
            workingDirectory = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }

        return workingDirectory is null
            || string.Equals(workingDirectory, DataDirectory, StringComparison.Ordinal)
            || string.Equals(workingDirectory, ResolveSymlinks(DataDirectory, depth: 0), StringComparison.Ordinal);
    }

    private static string ResolveSymlinks(string path, int depth)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        if (depth > 32)
        {
            return full;
        }

        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            string? target = null;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Treat as a plain directory.
            }

            current = target is null ? next : ResolveSymlinks(Path.Combine(current, target), depth + 1);
        }

        return current;
    }

    private static bool IsPortFree(int port)
    {
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FindFreePort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    private static long FileLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Server log text written since <paramref name="offset"/> (or the whole file for -1), capped to its tail.</summary>
    private string ReadServerLog(long offset)
    {
        const int maxChars = 4000;
        try
        {
            using var stream = new FileStream(ServerLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var tail = Math.Max(0, stream.Length - maxChars);
            var start = offset < 0 || offset > stream.Length ? tail : Math.Max(offset, tail);

            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private string ServerLogSection(long offset) => ServerLogSection(ReadServerLog(offset));

    private string ServerLogSection(string serverLog) =>
        string.IsNullOrWhiteSpace(serverLog)
            ? string.Empty
            : $"{Environment.NewLine}Tail of {ServerLogPath}:{Environment.NewLine}{serverLog.TrimEnd()}";

    private async Task WithGateAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await action().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Log(string message) => _options.Log?.Invoke(message);
}
