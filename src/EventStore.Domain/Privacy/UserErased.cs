namespace EventStore.Domain.Privacy;

/// <summary>
/// Audit record of one erasure (GDPR right to erasure), appended to the workspace's <see cref="StreamKey"/>
/// stream in the same transaction that removes the user. It deliberately holds no personal data: no
/// user_id, email or timeline id, and no hash of them (a hash of an identifier is still personal data).
/// </summary>
public sealed record UserErased(string Workspace, DateTimeOffset ErasedAt, long EventCount)
{
    /// <summary>The one audit stream of erasures inside each workspace (streams are keyed per tenant).</summary>
    public const string StreamKey = "erasures";
}
