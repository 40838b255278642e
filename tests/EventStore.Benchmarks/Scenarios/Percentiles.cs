namespace EventStore.Benchmarks.Scenarios;

internal static class Percentiles
{
    /// <summary>Nearest-rank percentile of an ascending array; NaN when nothing was measured.</summary>
    public static double Of(double[] sortedAscending, double fraction) =>
        sortedAscending.Length == 0
            ? double.NaN
            : sortedAscending[Math.Clamp((int)Math.Ceiling(fraction * sortedAscending.Length) - 1, 0, sortedAscending.Length - 1)];
}
