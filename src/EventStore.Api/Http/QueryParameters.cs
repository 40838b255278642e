using System.Globalization;
using EventStore.Domain;

namespace EventStore.Api.Http;

/// <summary>
/// Reads query-string parameters under the API's rules, collecting a <see cref="Rejection"/> naming the
/// parameter for every bad value, so a request with three bad parameters hears about all three. A parameter the
/// endpoint never reads is one of them: a typo'd filter must not answer as if there were no filter (ADR 0007).
/// Endpoints read every parameter they take before asking <see cref="IsValid"/>.
/// </summary>
public sealed class QueryParameters(IQueryCollection query)
{
    public const int DefaultPerPage = 15;
    public const int MaxPerPage = 100;

    private readonly List<Rejection> rejections = [];

    // Looked up as the query collection does: names are case-insensitive.
    private readonly HashSet<string> read = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<Rejection> Rejections => [.. rejections, .. Unknown()];

    public bool IsValid => rejections.Count == 0 && !Unknown().Any();

    public string? String(string name)
    {
        read.Add(name);
        var values = query[name];
        if (values.Count > 1)
        {
            rejections.Add(Rejection.Invalid(name, $"{name} is given more than once"));
            return null;
        }

        if (values.Count == 1 && values[0] is { } value && (value.Contains('\0', StringComparison.Ordinal) || HasLoneSurrogate(value)))
        {
            // PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded as UTF-8 (found by fuzzing: 500s).
            rejections.Add(Rejection.Invalid(name, $"{name} must not contain NUL characters or invalid Unicode"));
            return null;
        }

        return values.Count == 0 ? null : values[0];
    }

    private static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return true;
            }
        }

        return false;
    }

    public long? Long(string name, long min = long.MinValue, long max = long.MaxValue)
    {
        var text = String(name);
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            rejections.Add(Rejection.Invalid(name, min == long.MinValue && max == long.MaxValue
                ? $"{name} must be an integer"
                : $"{name} must be an integer from {min} to {max}"));
            return null;
        }

        return value;
    }

    public int PerPage(int defaultValue = DefaultPerPage) => (int)(Long("per_page", 1, MaxPerPage) ?? defaultValue);

    public bool Flag(string name)
    {
        var text = String(name);
        switch (text?.ToLowerInvariant())
        {
            case null or "false":
                return false;
            case "true":
                return true;
            default:
                rejections.Add(Rejection.Invalid(name, $"{name} must be true or false"));
                return false;
        }
    }

    public void Reject(Rejection rejection) => rejections.Add(rejection);

    private IEnumerable<Rejection> Unknown() => query.Keys.Where(name => !read.Contains(name)).Order(StringComparer.Ordinal)
        .Select(name => Rejection.Invalid(name, read.Count == 0
            ? $"{name} is not a parameter of this endpoint, which takes none"
            : $"{name} is not a parameter of this endpoint, which takes {string.Join(", ", read)}"));
}
