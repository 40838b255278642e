namespace EventStore.Domain;

/// <summary>Why a rule refused a request. The kind decides the HTTP status; code, message and field go to the client as sent.</summary>
public sealed record Rejection(RejectionKind Kind, string Code, string Message, string? Field = null)
{
    public static Rejection Invalid(string field, string message) => new(RejectionKind.Invalid, "parameter_invalid", message, field);

    public static Rejection Missing(string field, string message) => new(RejectionKind.Invalid, "parameter_not_found", message, field);

    public static Rejection WrongType(string field, string message) => new(RejectionKind.Invalid, "type_mismatch", message, field);
}

public enum RejectionKind
{
    /// <summary>The request breaks a validation rule (400).</summary>
    Invalid,

    /// <summary>The request names something that does not exist (404).</summary>
    NotFound,

    /// <summary>The request contradicts what is already recorded (409).</summary>
    Conflict,

    /// <summary>The request is well formed but a workspace rule refuses it (422).</summary>
    Unprocessable,
}
