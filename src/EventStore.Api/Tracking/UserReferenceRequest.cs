using System.Globalization;
using System.Text.Json;
using EventStore.Domain;
using EventStore.Domain.Timelines;

namespace EventStore.Api.Tracking;

/// <summary>
/// Reads who a request is about: Intercom's <c>user_id</c>, <c>email</c> and the service-assigned id (at least
/// one). Intercom names the service id <c>id</c> on event bodies and <c>intercom_user_id</c> elsewhere.
/// </summary>
public static class UserReferenceRequest
{
    public const int MaxIdentifierLength = 255;

    public static UserReference? Parse(JsonElement body, List<Rejection> rejections, string serviceIdField = "id")
    {
        var userId = ReadIdentifier(body, "user_id", rejections, allowInteger: true);
        var email = ReadEmail(body, rejections);
        var id = ReadIdentifier(body, serviceIdField, rejections, allowInteger: false);
        if (userId is null && email is null && id is null)
        {
            if (!rejections.Any(r => r.Field == "user_id" || r.Field == "email" || r.Field == serviceIdField))
            {
                rejections.Add(Rejection.Missing("user_id", $"One of user_id, email or {serviceIdField} is required to identify the user"));
            }

            return null;
        }

        return new UserReference(id, userId, email);
    }

    internal static string? ReadIdentifier(JsonElement body, string field, List<Rejection> rejections, bool allowInteger)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // Some clients send numeric user ids; an integer has one obvious string form, so take it.
        if (allowInteger && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            return number.ToString(CultureInfo.InvariantCulture);
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            rejections.Add(Rejection.WrongType(field, $"{field} must be a string"));
            return null;
        }

        var text = value.GetString()!;
        var problem = text.Trim().Length == 0 ? $"{field} must not be empty"
            : text.Length > MaxIdentifierLength ? $"{field} must be at most {MaxIdentifierLength} characters"
            : Text.HasControlCharacters(text) ? $"{field} must not contain control characters"
            : null;
        if (problem is not null)
        {
            rejections.Add(Rejection.Invalid(field, problem));
            return null;
        }

        return text;
    }

    internal static string? ReadEmail(JsonElement body, List<Rejection> rejections)
    {
        var email = ReadIdentifier(body, "email", rejections, allowInteger: false)?.Trim();
        if (email is null)
        {
            return null;
        }

        var at = email.IndexOf('@');
        if (at <= 0 || at == email.Length - 1 || email.Any(char.IsWhiteSpace))
        {
            rejections.Add(Rejection.Invalid("email", "email must be an email address such as pi@example.org"));
            return null;
        }

        return email;
    }
}
