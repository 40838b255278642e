namespace EventStore.Domain;

/// <summary>A value, or the rule that refused it.</summary>
public readonly record struct Result<T>
{
    private Result(T? value, Rejection? rejection)
    {
        Value = value;
        Rejection = rejection;
    }

    public T? Value { get; }

    public Rejection? Rejection { get; }

    public bool IsSuccess => Rejection is null;

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(Rejection rejection) => new(default, rejection);
}
