using System.Globalization;

namespace EventStore.Benchmarks.Load;

/// <summary>
/// The shape of the generated events, shared by the raw PostgreSQL baselines, the seeding and the wrk scripts:
/// event number <c>seq</c> of a phase goes to user <c>u{seq % users}</c> under one of 20 names at
/// <c>created_at = phaseBase + seq</c>, so every event of a run has a distinct de-duplication key. Concurrent
/// workers interleave: worker w of n takes seq = w, w + n, w + 2n, ...
/// </summary>
internal static class SyntheticEvents
{
    public static readonly IReadOnlyList<string> Names = Enumerable.Range(1, 20).Select(i => $"bench-event-{i:00}").ToArray();

    /// <summary>Each phase numbers its events from here; a phase stores far fewer than the stride.</summary>
    public const long PhaseStride = 10_000_000;

    private const long FirstCreatedAt = 1_000_000_000;

    public static long PhaseBase(int phaseNumber) => FirstCreatedAt + (phaseNumber * PhaseStride);

    public static string UserId(long seq, int users) => "u" + (seq % users).ToString(CultureInfo.InvariantCulture);

    public static string Name(long seq) => Names[(int)(seq % Names.Count)];

    /// <summary>Three keys: a string, an integer and a string, as Intercom clients typically send.</summary>
    public static string MetadataJson(long seq) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"order_id":"o{{seq}}","items":{{seq % 7}},"plan":"pro"}""");
}
