namespace EventStore.Domain.Tracking;

/// <summary>
/// An event name as Intercom identifies it: case-insensitive, with '.' and '$' read as '-'
/// ("Completed.Order", "completed$order" and "completed-order" are one event).
/// </summary>
public readonly record struct EventName
{
    public const int MaxLength = 255;

    private EventName(string value) => Value = value;

    /// <summary>The normalized form: trimmed, lower case, '.' and '$' replaced by '-'.</summary>
    public string Value { get; }

    public override string ToString() => Value;

    public static string Normalize(string raw) =>
        raw.Trim().ToLowerInvariant().Replace('.', '-').Replace('$', '-');

    public static bool TryParse(string? raw, string field, out EventName name, out Rejection? rejection)
    {
        name = default;
        if (raw is null)
        {
            rejection = Rejection.Missing(field, $"{field} is required");
            return false;
        }

        var normalized = Normalize(raw);
        rejection = normalized switch
        {
            "" => Rejection.Invalid(field, $"{field} must not be empty"),
            _ when normalized.Length > MaxLength => Rejection.Invalid(field, $"{field} must be at most {MaxLength} characters"),
            _ when Text.HasControlCharacters(normalized) => Rejection.Invalid(field, $"{field} must not contain control characters"),
            _ => null,
        };
        if (rejection is not null)
        {
            return false;
        }

        name = new EventName(normalized);
        return true;
    }

    /// <summary>Rehydrates a name that was normalized before it was stored.</summary>
    public static EventName FromNormalized(string normalized) => new(normalized);
}
