using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace EventStore.LocalPostgres;

internal sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    public string Describe() =>
        $"'{CommandLine}' exited with code {ExitCode}.{Section("stdout", StandardOutput)}{Section("stderr", StandardError)}";

    public ProcessResult EnsureSuccess(string? context = null) =>
        Succeeded ? this : throw new InvalidOperationException(context is null ? Describe() : $"{context} {Describe()}");

    private static string Section(string name, string text) =>
        string.IsNullOrWhiteSpace(text) ? string.Empty : $"{Environment.NewLine}{name}:{Environment.NewLine}{text.TrimEnd()}";
}

/// <summary>Runs helper executables with captured output and a hard timeout, so a wedged tool can never hang the caller.</summary>
internal static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var commandLine = FormatCommandLine(fileName, arguments);
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Tools run as another OS user must not inherit a working directory that user cannot enter.
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);

        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not run '{commandLine}': {e.Message}", e);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillQuietly(process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"'{commandLine}' did not finish within {timeout.TotalSeconds:0}s and was killed."
                + $"{Environment.NewLine}stdout:{Environment.NewLine}{Read(stdout)}"
                + $"{Environment.NewLine}stderr:{Environment.NewLine}{Read(stderr)}");
        }

        return new ProcessResult(commandLine, process.ExitCode, Read(stdout), Read(stderr));
    }

    public static string FormatCommandLine(string fileName, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { fileName }.Concat(arguments).Select(QuoteForDisplay));

    private static string QuoteForDisplay(string value) =>
        value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or '$' or '`')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            target.AppendLine(line);
        }
    }

    private static string Read(StringBuilder source)
    {
        lock (source)
        {
            return source.ToString();
        }
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Not ours to kill any more; nothing better to do.
        }
    }
}
