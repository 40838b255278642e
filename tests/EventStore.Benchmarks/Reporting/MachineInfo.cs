using System.Globalization;
using System.Runtime.InteropServices;

namespace EventStore.Benchmarks.Reporting;

/// <summary>The machine a run measured, because absolute figures only mean something next to it.</summary>
internal sealed record MachineInfo(int Processors, string Memory, string CpuModel, string PostgresVersion, string DotnetVersion, string WrkVersion)
{
    public static MachineInfo Read(string postgresVersion, string wrkVersion) => new(
        Environment.ProcessorCount,
        ReadMemory(),
        ReadCpuModel(),
        postgresVersion,
        $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture})",
        wrkVersion);

    private static string ReadCpuModel() =>
        TryReadLines("/proc/cpuinfo")
            .Where(line => line.StartsWith("model name", StringComparison.Ordinal))
            .Select(line => line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
            .FirstOrDefault() ?? "unknown";

    private static string ReadMemory()
    {
        var total = TryReadLines("/proc/meminfo").FirstOrDefault(line => line.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kilobytes = total?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return kilobytes is null ? "unknown" : $"{long.Parse(kilobytes, CultureInfo.InvariantCulture) / 1024.0 / 1024.0:0.0} GiB";
    }

    private static IEnumerable<string> TryReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
