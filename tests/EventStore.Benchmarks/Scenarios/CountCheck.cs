namespace EventStore.Benchmarks.Scenarios;

/// <summary>
/// The store's count of new events after a phase against what the load generator counted as accepted. Requests in
/// flight when wrk stops are committed by the API but never counted by wrk, so the store may hold up to one
/// in-flight request's worth of events more per connection; anything else is a mismatch.
/// </summary>
internal sealed record CountCheck(string Phase, long Counted, long Stored, long InFlightAllowance)
{
    public long Difference => Stored - Counted;

    public bool IsMismatch => Difference < 0 || Difference > InFlightAllowance;

    public string Describe() =>
        $"{Phase}: load generator counted {Counted:N0} accepted, store gained {Stored:N0} (difference {Difference:+#,0;-#,0;0}, "
        + $"allowed 0..{InFlightAllowance:N0} for requests in flight at the cut-off){(IsMismatch ? "  <<< MISMATCH" : string.Empty)}";
}
