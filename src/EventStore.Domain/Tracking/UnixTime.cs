namespace EventStore.Domain.Tracking;

/// <summary>Rules for Unix timestamps in seconds, which is what Intercom's API speaks.</summary>
public static class UnixTime
{
    /// <summary>
    /// 10^11 seconds is the year 5138, while "now" in milliseconds is above 10^12: anything at or past
    /// this bound is a millisecond timestamp sent by mistake, not a real date.
    /// </summary>
    public const long MillisecondsThreshold = 100_000_000_000;

    public static bool LooksLikeMilliseconds(long seconds) => Math.Abs(seconds) >= MillisecondsThreshold;

    /// <summary>Validates an event's created_at: positive whole seconds, not milliseconds, not too far in the future.</summary>
    public static Rejection? CheckCreatedAt(long createdAt, DateTimeOffset now, TimeSpan allowedFuture, string field = "created_at")
    {
        if (createdAt <= 0)
        {
            return Rejection.Invalid(field, $"{field} must be a positive Unix timestamp in seconds");
        }

        if (LooksLikeMilliseconds(createdAt))
        {
            return Rejection.Invalid(field, $"{field} looks like milliseconds; send a Unix timestamp in seconds");
        }

        var latest = now.Add(allowedFuture).ToUnixTimeSeconds();
        return createdAt > latest
            ? Rejection.Invalid(field, $"{field} is more than {Describe(allowedFuture)} in the future")
            : null;
    }

    private static string Describe(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays % 1 == 0 ? $"{span.TotalDays:0} day{(span.TotalDays == 1 ? "" : "s")}"
        : span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0} hour{(span.TotalHours == 1 ? "" : "s")}"
        : $"{span.TotalSeconds:0} seconds";
}
