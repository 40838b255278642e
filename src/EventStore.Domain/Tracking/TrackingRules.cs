using System.ComponentModel.DataAnnotations;

namespace EventStore.Domain.Tracking;

/// <summary>The workspace-wide limits of tracking, set by operators (configuration section "Tracking").</summary>
public sealed record TrackingRules
{
    /// <summary>Metadata keys kept per event: the first N sent. Intercom's API keeps 10; newer plans speak of 20.</summary>
    [Range(0, 100)]
    public int MetadataKeyCap { get; init; } = 10;

    /// <summary>How far in the future created_at may be (clock skew allowance).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan AllowedFuture { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Distinct active event names per workspace (Intercom: 120). Archived names do not count.</summary>
    [Range(1, 100_000)]
    public int ActiveEventNameCap { get; init; } = 120;
}
