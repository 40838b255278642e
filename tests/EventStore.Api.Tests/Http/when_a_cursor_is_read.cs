using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Privacy;
using Microsoft.AspNetCore.WebUtilities;

namespace EventStore.Api.Tests.Http;

/// <summary>
/// Paging cursors are opaque to whoever holds them: a timeline's cursors hold a transaction id and a sequence shared
/// by every workspace, so a readable cursor would let one workspace watch the others' write volume. Cursors signed
/// by the previous release (readable) are still accepted during the transition.
/// </summary>
public sealed class when_a_cursor_is_read(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task<(string Next, string Since)> CursorsOf(string userId)
    {
        for (var i = 0; i < 3; i++)
        {
            await api.Track(userId, "cursor-read", 1_700_000_000 + i);
        }

        var pages = (await api.Host.Get($"/events?type=user&user_id={userId}&per_page=1")).Json["pages"]!;
        return (QueryOf(pages["next"]!.GetValue<string>(), "before"), QueryOf(pages["since"]!.GetValue<string>(), "since"));
    }

    [Fact]
    public async Task shows_no_position_in_a_timelines_cursors()
    {
        var (next, since) = await CursorsOf("cursor-1");

        foreach (var (name, cursor) in new[] { ("before", next), ("since", since) })
        {
            var bytes = WebEncoders.Base64UrlDecode(cursor);
            LongestReadableNumberRun(bytes).ShouldBeLessThan(6,
                $"the {name} cursor must not carry readable numbers; decoded: {Encoding.ASCII.GetString(bytes.Select(b => b is >= 32 and < 127 ? b : (byte)'.').ToArray())}");
        }
    }

    [Fact]
    public async Task shows_no_event_name_in_a_segments_cursor()
    {
        await api.Track("cursor-2", "cursor-name-alpha", 1_700_000_000);
        await api.Track("cursor-2", "cursor-name-beta", 1_700_000_000);

        var next = (await api.Host.Get("/segments?per_page=1")).Json["pages"]!["next"]!.GetValue<string>();

        Encoding.ASCII.GetString(WebEncoders.Base64UrlDecode(QueryOf(next, "starting_after"))).ShouldNotContain("cursor-name", Case.Insensitive);
    }

    [Fact]
    public async Task gives_the_same_page_the_same_link()
    {
        await CursorsOf("cursor-3");

        var first = (await api.Host.Get("/events?type=user&user_id=cursor-3&per_page=1")).Json["pages"]!["next"]!.GetValue<string>();
        var again = (await api.Host.Get("/events?type=user&user_id=cursor-3&per_page=1")).Json["pages"]!["next"]!.GetValue<string>();

        again.ShouldBe(first, "cursors are deterministic, as before: a client or cache may compare links");
    }

    [Fact]
    public async Task accepts_a_signed_cursor_of_the_previous_release()
    {
        var (next, _) = await CursorsOf("cursor-4");
        var timelineId = (await api.TimelinesIn("acme")).Single(t => t.UserId == "cursor-4").Id;
        var position = await api.NewestTimelinePosition("acme", timelineId);

        var legacy = await LegacyCursorAsync($"acme|timeline|{timelineId}|before", position);
        var viaLegacy = await api.Host.Get($"/events?type=user&user_id=cursor-4&per_page=1&before={legacy}");
        var viaCurrent = await api.Host.Get($"/events?type=user&user_id=cursor-4&per_page=1&before={next}");

        viaLegacy.Status.ShouldBe(HttpStatusCode.OK, viaLegacy.Body);
        viaLegacy.Json["events"]!.ToJsonString().ShouldBe(viaCurrent.Json["events"]!.ToJsonString(), "the old cursor pages exactly as the new one");
        viaLegacy.Json["pages"]!["next"]!.GetValue<string>().ShouldBe(viaCurrent.Json["pages"]!["next"]!.GetValue<string>(), "and is answered with new cursors");
    }

    [Fact]
    public async Task refuses_a_signed_cursor_of_the_previous_release_for_another_user()
    {
        await CursorsOf("cursor-5");
        await CursorsOf("cursor-6");
        var timelines = await api.TimelinesIn("acme");
        var other = timelines.Single(t => t.UserId == "cursor-6").Id;

        var legacy = await LegacyCursorAsync($"acme|timeline|{other}|before", await api.NewestTimelinePosition("acme", other));

        (await api.Host.Get($"/events?type=user&user_id=cursor-5&per_page=1&before={legacy}")).ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", "before");
    }

    /// <summary>The previous release's format: the position as text, then the first 16 bytes of HMAC-SHA256(secret, len(scope) | scope | position).</summary>
    private async Task<string> LegacyCursorAsync(string scope, string position)
    {
        await using var command = api.DataSource().CreateCommand("select secret from eventstore.service_secrets where name = 'cursor-signing'");
        var secret = (byte[])(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        var scopeBytes = Encoding.UTF8.GetBytes(scope);
        var payload = Encoding.UTF8.GetBytes(position);
        var input = new byte[4 + scopeBytes.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(input, scopeBytes.Length);
        scopeBytes.CopyTo(input, 4);
        payload.CopyTo(input, 4 + scopeBytes.Length);
        return WebEncoders.Base64UrlEncode([.. payload, .. HMACSHA256.HashData(secret, input)[..16]]);
    }

    private static string QueryOf(string link, string name) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(link).Query)[name].ToString();

    /// <summary>The longest run of bytes that read as a number or a position's separators (digits, '|', ':', ',').</summary>
    private static int LongestReadableNumberRun(byte[] bytes)
    {
        int longest = 0, run = 0;
        foreach (var b in bytes)
        {
            run = b is >= (byte)'0' and <= (byte)'9' or (byte)'|' or (byte)':' or (byte)',' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }
}
