using System.Text;
using EventStore.Api.Tracking;

namespace EventStore.Api.Tests.Tracking;

/// <summary>
/// The count that stops reading a bulk body at the first item beyond the limit, fed the body as it arrives in chunks
/// of any size (each call sees everything read so far). It only stops early: a body it lets through is still
/// counted by the parser, so it may look at a long token's tail a little late.
/// </summary>
public sealed class when_counting_bulk_items_while_reading
{
    public static TheoryData<int> ChunkSizes => [1, 3, 7, 64, 100_000];

    /// <summary>Feeds the body chunk by chunk; returns whether the reading would still go on at the end, and the count.</summary>
    private static (bool KeepReading, int Items) Feed(string body, bool ndjson, int max, int chunk)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var count = new BulkItemCount(ndjson, max);
        for (var read = Math.Min(chunk, bytes.Length); ; read = Math.Min(read + chunk, bytes.Length))
        {
            if (!count.KeepReading(bytes.AsSpan(0, read)))
            {
                return (false, count.Items);
            }

            if (read == bytes.Length)
            {
                return (true, count.Items);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void keeps_reading_a_json_array_of_exactly_the_limit(int chunk) =>
        Feed("""[{"a":{"b":[1,2]}}, 2, "x", [3], null, true]""", ndjson: false, max: 6, chunk).KeepReading.ShouldBeTrue();

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void stops_at_the_first_array_element_beyond_the_limit(int chunk) =>
        Feed("[" + string.Join(',', Enumerable.Repeat("{}", 50)) + "]", ndjson: false, max: 10, chunk).ShouldBe((false, 11));

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void stops_after_an_element_whose_string_spans_many_chunks(int chunk) =>
        Feed("[{\"event_name\":\"" + new string('x', 20_000) + "\"}" + string.Concat(Enumerable.Repeat(", {}", 10_000)) + "]", ndjson: false, max: 2, chunk)
            .ShouldBe((false, 3));

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void counts_the_non_blank_lines_of_ndjson(int chunk) =>
        Feed("{}\n\n  \r\n{\"a\":1}\r\n\t\n{}", ndjson: true, max: 3, chunk).ShouldBe((true, 3));

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void stops_at_the_first_line_beyond_the_limit(int chunk) =>
        Feed(string.Concat(Enumerable.Repeat("{}\n", 50)), ndjson: true, max: 10, chunk).ShouldBe((false, 11));

    [Theory]
    [InlineData("""{"event_name":"not an array"}""")]
    [InlineData("""[{}, {}, oops, {}, {}]""")]
    [InlineData("""[{}, {},]""")]
    public void leaves_what_it_cannot_follow_to_the_parser(string body) =>
        Feed(body, ndjson: false, max: 2, chunk: 1).KeepReading.ShouldBeTrue();
}
