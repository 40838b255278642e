using System.Text.Json;

namespace EventStore.Api.Http;

/// <summary>
/// Checks on JSON text that <see cref="JsonDocument"/> does not make while parsing, and whose failures would
/// otherwise surface later as a 500: invalid UTF-8 inside strings (an overlong sequence such as C0 AF is only
/// noticed when the string is read), and escaped lone surrogates (<c>"\ud800"</c> cannot become a .NET string).
/// NUL (<c>\u0000</c>) is valid here; the rules of each field refuse it where PostgreSQL could not store it.
/// </summary>
public static class JsonText
{
    /// <summary>A message when the bytes are not valid UTF-8, else null.</summary>
    public static string? FindUnreadableUtf8(ReadOnlySpan<byte> json) =>
        System.Text.Unicode.Utf8.IsValid(json) ? null : "The request body is not valid UTF-8";

    /// <summary>A message naming the first property name or string value that cannot be read as a string, else null.</summary>
    public static string? FindUnstorableString(JsonElement root) =>
        Find(root, "") is { } path
            ? $"{(path.Length == 0 ? "The body" : path)} holds an escaped lone surrogate (such as \\ud800), which is not valid Unicode text"
            : null;

    private static string? Find(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsStorable(element) ? null : path;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Find(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!TryReadName(property, out var name))
                    {
                        return path;
                    }

                    if (Find(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool IsStorable(JsonElement value)
    {
        try
        {
            _ = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryReadName(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = "";
            return false;
        }
    }
}
