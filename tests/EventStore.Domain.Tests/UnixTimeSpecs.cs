using EventStore.Domain.Tracking;

namespace EventStore.Domain.Tests;

public sealed class when_checking_created_at
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void accepts_a_past_timestamp_in_seconds() => UnixTime.CheckCreatedAt(1_389_913_941, Now, TimeSpan.FromDays(1)).ShouldBeNull();

    [Fact]
    public void accepts_up_to_the_allowed_future() =>
        UnixTime.CheckCreatedAt(Now.ToUnixTimeSeconds() + 86_400, Now, TimeSpan.FromDays(1)).ShouldBeNull();

    [Fact]
    public void refuses_a_timestamp_beyond_the_allowed_future()
    {
        var rejection = UnixTime.CheckCreatedAt(Now.ToUnixTimeSeconds() + 86_401, Now, TimeSpan.FromDays(1));
        rejection!.Message.ShouldContain("1 day in the future");
    }

    [Fact]
    public void refuses_milliseconds_and_says_so() =>
        UnixTime.CheckCreatedAt(1_389_913_941_000, Now, TimeSpan.FromDays(1))!.Message.ShouldContain("milliseconds");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void refuses_non_positive_values(long value) =>
        UnixTime.CheckCreatedAt(value, Now, TimeSpan.FromDays(1))!.Field.ShouldBe("created_at");
}
