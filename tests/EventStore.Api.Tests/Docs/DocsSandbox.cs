using System.Diagnostics;
using System.Text;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Docs;

/// <summary>How a documented command must turn out when it runs.</summary>
public sealed record Expectation(int ExitCode = 0, string? Output = null, string? ReadyAt = null, string? StandardOutputFile = null)
{
    public static readonly Expectation Succeeds = new();

    /// <summary>A command that runs until stopped (the service): started in the background, then polled at <paramref name="readyAt"/>.</summary>
    public static Expectation Service(string readyAt, string? output = null, string? standardOutputFile = null) =>
        new(0, output, readyAt, standardOutputFile);

    public bool IsService => ReadyAt is not null;
}

/// <summary>What one command did: its exit code (null when it never finished) and everything it printed.</summary>
public sealed record CommandRun(DocumentedCommand Command, int? ExitCode, string Output);

/// <summary>
/// Runs a document's commands exactly as written, in order, in one bash session (so a variable one command sets is
/// there for the next), as root, inside namespaces of their own: a network of their own (ports 5080 and 8080 and
/// host names such as <c>db</c> are private, so runs on a shared machine cannot collide), a copy-on-write overlay of
/// the repository (the commands see the checkout, built, but a fresh clone's <c>.local/</c>, and nothing they write
/// reaches the real one) and a fresh <c>/tmp</c>; every process started dies with the sandbox. Commands marked as a
/// service run in the background until the end. <c>out/</c> (where <c>dotnet publish -o out</c> puts a build) is the
/// build the tests run.
/// </summary>
public static class DocsSandbox
{
    private const char Marker = '\u001e';
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Null when this machine can make the namespaces (root, util-linux's unshare, iproute2's ip) and the checkout stays
    /// visible in them; otherwise why not.
    /// </summary>
    public static string? Unavailable()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return "the docs check runs the documented commands in namespaces of their own, which needs root (CI runs as root)";
        }

        if ((ServiceBuild.RepositoryRoot() + "/").StartsWith("/tmp/", StringComparison.Ordinal))
        {
            return "the sandbox gives the documented commands a private /tmp, which would hide this checkout: clone it outside /tmp";
        }

        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", ["--mount", "--net", "--fork", "--pid", "--mount-proc", "ip", "link", "set", "lo", "up"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            probe.WaitForExit(TimeSpan.FromSeconds(30));
            return probe.ExitCode == 0 ? null : $"unshare cannot make namespaces here: {probe.StandardError.ReadToEnd().Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"unshare or ip is missing ({e.Message}): apt-get install -y util-linux iproute2";
        }
    }

    /// <param name="database">Also serve PostgreSQL as the host <c>db</c> on port 5432, with a role and a database <c>eventstore</c>.</param>
    public static async Task<IReadOnlyList<CommandRun>> RunAsync(IReadOnlyList<(DocumentedCommand Command, Expectation Expected)> commands, bool database)
    {
        var root = DocumentedCommands.RepositoryRoot();
        var scratch = Directory.CreateTempSubdirectory("eventstore-docs-");
        var script = Path.Combine(Path.GetTempPath(), $"eventstore-docs-{Guid.NewGuid():N}.sh");
        try
        {
            await File.WriteAllTextAsync(script, Script(commands, root, scratch.FullName, database), TestContext.Current.CancellationToken);
            var start = new ProcessStartInfo("unshare", ["--mount", "--net", "--fork", "--pid", "--mount-proc", "--kill-child", "bash", script])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = root,
                UseShellExecute = false,
            };
            // What a reader's shell would have, nothing of the test run's own settings.
            start.Environment.Clear();
            foreach (var name in new[] { "PATH", "HOME", "DOTNET_ROOT", "PG_BIN" })
            {
                if (Environment.GetEnvironmentVariable(name) is { } value)
                {
                    start.Environment[name] = value;
                }
            }

            start.Environment["LANG"] = "C.UTF-8";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            // No build server outside the sandbox may build for it (it would write to the real checkout).
            start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["UseSharedCompilation"] = "false";

            var run = await ServiceProcess.RunToEndAsync(start, Deadline);
            return Parse(commands, run.Output + run.Errors);
        }
        finally
        {
            File.Delete(script);
            scratch.Delete(recursive: true);
        }
    }

    private static string Script(IReadOnlyList<(DocumentedCommand Command, Expectation Expected)> commands, string root, string scratch, bool database)
    {
        var build = Path.GetRelativePath(root, ServiceBuild.Directory());
        var script = new StringBuilder($$"""
            set -u
            exec 2>&1
            mark() { printf '\n{{Marker}}%s\n' "$*"; }
            # Polls (with a deadline) until the service answers, or gives up when it has exited.
            ready() { for _ in $(seq 1 600); do curl -fs -o /dev/null --max-time 5 "$1" && return 0; kill -0 "$2" 2>/dev/null || return 1; sleep 0.5; done; return 1; }
            set -e
            ip link set lo up
            mount -t tmpfs tmpfs '{{scratch}}'
            mkdir '{{scratch}}/upper' '{{scratch}}/work'
            mount -t overlay overlay -o 'lowerdir={{root}},upperdir={{scratch}}/upper,workdir={{scratch}}/work' '{{root}}'
            cp /etc/hosts '{{scratch}}/hosts'
            printf '127.0.0.1 db\n' >> '{{scratch}}/hosts'
            mount --bind '{{scratch}}/hosts' /etc/hosts
            mount -t tmpfs tmpfs /tmp
            mkdir /tmp/docs
            cd '{{root}}'
            rm -rf .local out eventstore.log migration.sql migration.drop.sql
            ln -s '{{build}}' out

            """);
        if (database)
        {
            script.Append("""
                pgbin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}"
                mkdir /tmp/docs/db && chown postgres:postgres /tmp/docs/db
                runuser -u postgres -- "$pgbin/initdb" -D /tmp/docs/db -U postgres --auth=trust > /tmp/docs/initdb.log
                runuser -u postgres -- "$pgbin/pg_ctl" start -w -D /tmp/docs/db -l /tmp/docs/db/server.log -o "-p 5432 -k /tmp/docs/db -c listen_addresses=127.0.0.1 -c fsync=off" > /dev/null
                psql -q -h 127.0.0.1 -U postgres -d postgres -c 'create role eventstore login' -c 'create database eventstore owner eventstore'

                """);
        }

        script.Append("set +e\nservices=()\n");
        for (var i = 0; i < commands.Count; i++)
        {
            var (command, expected) = commands[i];
            script.Append(CultureInfo($"mark start {i}\n"));
            if (expected.IsService)
            {
                var standardOutput = expected.StandardOutputFile ?? $"/tmp/docs/service-{i}.out";
                // A group, its brace on a line of its own: a trailing comment in the command must not swallow the redirections.
                script.Append(CultureInfo($"{{\n{command.Text}\n}} > {standardOutput} 2> /tmp/docs/service-{i}.err &\n"));
                script.Append(CultureInfo($"services+=($!)\nready '{expected.ReadyAt}' $!\nmark exit {i} $?\n"));
            }
            else
            {
                script.Append(CultureInfo($"{command.Text}\nmark exit {i} $?\n"));
            }
        }

        script.Append("for pid in \"${services[@]}\"; do kill -TERM \"$pid\" 2> /dev/null; done\n");
        for (var i = 0; i < commands.Count; i++)
        {
            if (commands[i].Expected.IsService)
            {
                var standardOutput = commands[i].Expected.StandardOutputFile ?? $"/tmp/docs/service-{i}.out";
                script.Append(CultureInfo($"mark service {i}\ncat {standardOutput} /tmp/docs/service-{i}.err\n"));
            }
        }

        return script.ToString();
    }

    private static string CultureInfo(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>Splits the session's output at the markers: each command's output, its exit code, and a service's own output.</summary>
    private static IReadOnlyList<CommandRun> Parse(IReadOnlyList<(DocumentedCommand Command, Expectation Expected)> commands, string output)
    {
        var outputs = new Dictionary<int, StringBuilder>();
        var exits = new Dictionary<int, int>();
        StringBuilder? current = null;
        var prelude = new StringBuilder();
        foreach (var line in output.Split('\n'))
        {
            if (!line.StartsWith(Marker))
            {
                (current ?? prelude).AppendLine(line);
                continue;
            }

            var parts = line[1..].Split(' ');
            var index = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            switch (parts[0])
            {
                case "start" or "service":
                    current = outputs.TryGetValue(index, out var existing) ? existing : outputs[index] = new StringBuilder();
                    break;
                case "exit":
                    exits[index] = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
                    current = null;
                    break;
            }
        }

        return [.. commands.Select((command, i) => new CommandRun(command.Command, exits.TryGetValue(i, out var exit) ? exit : null,
            outputs.TryGetValue(i, out var text) ? text.ToString() + (exits.ContainsKey(i) ? "" : $"{Environment.NewLine}(never finished: the session was ended at its deadline)")
                : $"(never started; the session printed:){Environment.NewLine}{prelude}"))];
    }
}
