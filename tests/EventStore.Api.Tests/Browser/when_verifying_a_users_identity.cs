using System.Text;
using EventStore.Api.Browser;

namespace EventStore.Api.Tests.Browser;

/// <summary>Intercom's identity verification: user_hash is the hex HMAC-SHA256 of the user_id (or email) with the workspace's secret.</summary>
public sealed class when_verifying_a_users_identity
{
    private const string Secret = "an-identity-secret-of-intercom";

    // Computed with `printf '314159' | openssl dgst -sha256 -hmac 'an-identity-secret-of-intercom'`, as a customer's server would.
    private const string HashOf314159 = "99a92ee01a272af724f6cd792e19751a94dfc2de4647abe0b1e13cce9873aff1";
    private const string HashOfEmail = "4e2aef7500a1cf341a41684c8e804ae1463829eb96eea0015d26fdef927afe76";

    private static readonly byte[] Key = Encoding.UTF8.GetBytes(Secret);

    [Fact]
    public void computes_the_hash_openssl_and_intercoms_servers_compute()
    {
        IdentityVerification.UserHash(Secret, "314159").ShouldBe(HashOf314159);
        IdentityVerification.UserHash(Secret, "pi@example.org").ShouldBe(HashOfEmail);
    }

    [Fact]
    public void accepts_the_hash_of_the_identifier_in_either_case_of_hex() =>
        (IdentityVerification.Verifies(Key, "314159", HashOf314159) && IdentityVerification.Verifies(Key, "314159", HashOf314159.ToUpperInvariant()))
            .ShouldBeTrue("hex digits are the same number in either case");

    [Theory]
    [InlineData("314160", HashOf314159)]              // another user's id
    [InlineData("314159", HashOfEmail)]               // another user's hash
    [InlineData("314159", null)]                      // no hash
    [InlineData("314159", "")]
    [InlineData("314159", "99a92ee01a272af7")]        // a prefix of the right one
    [InlineData("314159", HashOf314159 + "00")]       // too long
    [InlineData("314159", "zz" + "a92ee01a272af724f6cd792e19751a94dfc2de4647abe0b1e13cce9873aff1")] // not hex
    public void refuses_any_other_hash(string identifier, string? userHash) =>
        IdentityVerification.Verifies(Key, identifier, userHash).ShouldBeFalse($"'{userHash}' must not verify '{identifier}'");

    [Fact]
    public void refuses_a_hash_made_with_another_secret() =>
        IdentityVerification.Verifies(Key, "314159", IdentityVerification.UserHash("another-secret-of-16-chars", "314159")).ShouldBeFalse();
}
