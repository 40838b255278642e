using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventStore.Domain.Tracking;

/// <summary>
/// One typed metadata value. The type is kept with the value so the read side returns it exactly
/// as it was sent: money stays an object, dates stay integers.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Text), "string")]
[JsonDerivedType(typeof(Number), "number")]
[JsonDerivedType(typeof(Date), "date")]
[JsonDerivedType(typeof(Link), "link")]
[JsonDerivedType(typeof(RichLink), "rich_link")]
[JsonDerivedType(typeof(MonetaryAmount), "monetary_amount")]
public abstract record MetadataValue
{
    private MetadataValue()
    {
    }

    /// <summary>Writes the value in Intercom's wire form.</summary>
    public abstract void WriteTo(Utf8JsonWriter writer);

    public sealed record Text(string Value) : MetadataValue
    {
        public override void WriteTo(Utf8JsonWriter writer) => writer.WriteStringValue(Value);
    }

    public sealed record Number(decimal Value) : MetadataValue
    {
        public override void WriteTo(Utf8JsonWriter writer) => writer.WriteNumberValue(Value);
    }

    public sealed record Date(long UnixSeconds) : MetadataValue
    {
        public override void WriteTo(Utf8JsonWriter writer) => writer.WriteNumberValue(UnixSeconds);
    }

    public sealed record Link(string Url) : MetadataValue
    {
        public override void WriteTo(Utf8JsonWriter writer) => writer.WriteStringValue(Url);
    }

    public sealed record RichLink(string Url, string Value) : MetadataValue
    {
        public override void WriteTo(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("url", Url);
            writer.WriteString("value", Value);
            writer.WriteEndObject();
        }
    }

    public sealed record MonetaryAmount(long Amount, string Currency) : MetadataValue
    {
        public override void WriteTo(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteNumber("amount", Amount);
            writer.WriteString("currency", Currency);
            writer.WriteEndObject();
        }
    }
}

/// <summary>A metadata key as sent (case kept) with its typed value.</summary>
public sealed record MetadataEntry(string Key, MetadataValue Value);

/// <summary>The result of reading a metadata object: the kept entries in sent order, or why it was refused.</summary>
public sealed record ParsedMetadata(IReadOnlyList<MetadataEntry> Entries, IReadOnlyList<string> IgnoredKeys, IReadOnlyList<Rejection> Rejections)
{
    public bool IsValid => Rejections.Count == 0;
}

/// <summary>Intercom's event metadata rules: at most N keys (the first N sent), six value types, no other nesting.</summary>
public static class Metadata
{
    public const int MaxStringLength = 255;
    public const int MaxUrlLength = 2048;
    public const int MaxKeyLength = 255;
    private const string Field = "metadata";
    private const string ForbiddenKeyCharacters = ".$~`!@#%^&*'{}|\\\"";

    public static ParsedMetadata Parse(JsonElement metadata, int keyCap)
    {
        if (metadata.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return new ParsedMetadata([], [], []);
        }

        if (metadata.ValueKind != JsonValueKind.Object)
        {
            return new ParsedMetadata([], [], [Rejection.WrongType(Field, "metadata must be a JSON object")]);
        }

        var entries = new List<MetadataEntry>();
        var ignored = new List<string>();
        var rejections = new List<Rejection>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in metadata.EnumerateObject())
        {
            // Keys are case-insensitive: a repeat of a key already read is the same key, and the first one wins.
            if (!seen.Add(property.Name) || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (entries.Count + rejections.Count >= keyCap)
            {
                ignored.Add(property.Name);
                continue;
            }

            var keyProblem = CheckKey(property.Name);
            if (keyProblem is not null)
            {
                rejections.Add(keyProblem);
                continue;
            }

            var (value, rejection) = ReadValue(property.Name, property.Value);
            if (rejection is not null)
            {
                rejections.Add(rejection);
            }
            else
            {
                entries.Add(new MetadataEntry(property.Name, value!));
            }
        }

        return new ParsedMetadata(entries, ignored, rejections);
    }

    public static bool IsDateKey(string key) => key.EndsWith("_date", StringComparison.OrdinalIgnoreCase);

    private static Rejection? CheckKey(string key)
    {
        var field = FieldOf(key);
        if (key.Trim().Length == 0)
        {
            return Rejection.Invalid(field, "metadata keys must not be empty");
        }

        if (key.Length > MaxKeyLength)
        {
            return Rejection.Invalid(field, $"metadata keys must be at most {MaxKeyLength} characters");
        }

        if (key.IndexOfAny(ForbiddenKeyCharacters.ToCharArray()) >= 0 || global::EventStore.Domain.Text.HasControlCharacters(key))
        {
            return Rejection.Invalid(field, $"metadata keys may not contain '.', '$', any of ~`!@#%^&*'{{}}|\\\" or control characters");
        }

        return null;
    }

    private static (MetadataValue? Value, Rejection? Rejection) ReadValue(string key, JsonElement value)
    {
        var field = FieldOf(key);
        if (IsDateKey(key))
        {
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds)
                ? UnixTime.LooksLikeMilliseconds(seconds)
                    ? (null, Rejection.Invalid(field, $"{field} looks like milliseconds; dates are Unix timestamps in seconds"))
                    : (new MetadataValue.Date(seconds), null)
                : (null, Rejection.WrongType(field, $"{field} is a date (its key ends in _date) and must be an integer Unix timestamp in seconds"));
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return ReadString(field, value.GetString()!);
            case JsonValueKind.Number:
                return value.TryGetDecimal(out var number)
                    ? (new MetadataValue.Number(number), null)
                    : (null, Rejection.Invalid(field, $"{field} is a number out of range"));
            case JsonValueKind.Object:
                return ReadObject(field, value);
            case JsonValueKind.Array:
                return (null, Rejection.WrongType(field, $"{field} is an array; metadata values cannot be arrays"));
            default:
                return (null, Rejection.WrongType(field, $"{field} must be a string, a number, a date, a link, a rich link {{url, value}} or a monetary amount {{amount, currency}}"));
        }
    }

    private static (MetadataValue?, Rejection?) ReadString(string field, string text)
    {
        if (global::EventStore.Domain.Text.HasNul(text))
        {
            return (null, Rejection.Invalid(field, $"{field} must not contain NUL characters"));
        }

        if (IsWebUrl(text))
        {
            return text.Length > MaxUrlLength
                ? (null, Rejection.Invalid(field, $"{field} is a link longer than {MaxUrlLength} characters"))
                : (new MetadataValue.Link(text), null);
        }

        return global::EventStore.Domain.Text.Length(text) > MaxStringLength
            ? (null, Rejection.Invalid(field, $"{field} must be at most {MaxStringLength} characters"))
            : (new MetadataValue.Text(text), null);
    }

    private static (MetadataValue?, Rejection?) ReadObject(string field, JsonElement value)
    {
        var names = value.EnumerateObject().Select(p => p.Name).ToList();
        if (names.Count == 2 && names.Contains("url") && names.Contains("value"))
        {
            var url = value.GetProperty("url");
            var text = value.GetProperty("value");
            if (url.ValueKind != JsonValueKind.String || !IsWebUrl(url.GetString()!) || url.GetString()!.Length > MaxUrlLength)
            {
                return (null, Rejection.Invalid($"{field}.url", $"{field}.url must be an http or https URL of at most {MaxUrlLength} characters"));
            }

            if (text.ValueKind != JsonValueKind.String || global::EventStore.Domain.Text.HasNul(text.GetString()!) || global::EventStore.Domain.Text.Length(text.GetString()!) > MaxStringLength)
            {
                return (null, Rejection.Invalid($"{field}.value", $"{field}.value must be a string of at most {MaxStringLength} characters"));
            }

            return (new MetadataValue.RichLink(url.GetString()!, text.GetString()!), null);
        }

        if (names.Count == 2 && names.Contains("amount") && names.Contains("currency"))
        {
            var amount = value.GetProperty("amount");
            var currency = value.GetProperty("currency");
            if (amount.ValueKind != JsonValueKind.Number || !amount.TryGetInt64(out var cents) || cents <= 0)
            {
                return (null, Rejection.Invalid($"{field}.amount", $"{field}.amount must be a positive integer amount in cents"));
            }

            if (currency.ValueKind != JsonValueKind.String || !CurrencyCodes.IsIso4217(currency.GetString()!))
            {
                return (null, Rejection.Invalid($"{field}.currency", $"{field}.currency must be an ISO 4217 currency code such as \"eur\" or \"USD\""));
            }

            return (new MetadataValue.MonetaryAmount(cents, currency.GetString()!), null);
        }

        return (null, Rejection.WrongType(field, $"{field} is a nested object; only rich links {{\"url\", \"value\"}} and monetary amounts {{\"amount\", \"currency\"}} are supported"));
    }

    private static bool IsWebUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && !string.IsNullOrEmpty(uri.Host)
        && !text.Any(char.IsWhiteSpace);

    private static string FieldOf(string key) => $"{Field}.{key}";
}
