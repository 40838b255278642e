using System.Text.Json;
using EventStore.Api.Http;

namespace EventStore.Api.Tracking;

/// <summary>
/// Counts the items of a POST /events/bulk body while it is read (the elements of a JSON array, or the non-blank
/// lines of NDJSON) and stops the reading at the first item beyond the limit: a compressed body of a million tiny
/// items is refused after a few kilobytes, without decompressing, splitting or parsing the rest. Each call resumes
/// where the previous one stopped, so the body is scanned about once. It only stops early: what it lets through is
/// counted again by the parser, and a body it cannot follow (not an array, invalid JSON) is left for it to refuse.
/// </summary>
public sealed class BulkItemCount : IBodyWatcher
{
    private static readonly JsonReaderOptions Strict = new()
    {
        MaxDepth = RequestBody.MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    private readonly bool ndjson;
    private readonly int maxItems;
    private JsonReaderState state = new(Strict);
    private int scanned;

    /// <summary>How much must have been read before the JSON reader tries again (see <see cref="CountElements"/>).</summary>
    private int retryAt;
    private bool lineHasContent;
    private bool followed = true;
    private bool started;

    public BulkItemCount(bool ndjson, int maxItems)
    {
        this.ndjson = ndjson;
        this.maxItems = maxItems;
    }

    /// <summary>Items seen so far (a line counts from its first non-blank byte).</summary>
    public int Items { get; private set; }

    public bool KeepReading(ReadOnlySpan<byte> readSoFar)
    {
        if (followed)
        {
            if (ndjson)
            {
                CountLines(readSoFar);
            }
            else
            {
                CountElements(readSoFar);
            }
        }

        return Items <= maxItems;
    }

    private void CountLines(ReadOnlySpan<byte> body)
    {
        for (; scanned < body.Length && Items <= maxItems; scanned++)
        {
            var b = body[scanned];
            if (b == (byte)'\n')
            {
                lineHasContent = false;
            }
            else if (!lineHasContent && b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                lineHasContent = true;
                Items++;
            }
        }
    }

    private void CountElements(ReadOnlySpan<byte> body)
    {
        // A token still incomplete (a long string) is read again from its start: try again only once the unread rest
        // has doubled, so that a 5 MiB string is scanned a few times, not once per chunk.
        if (body.Length < retryAt)
        {
            return;
        }

        var reader = new Utf8JsonReader(body[scanned..], isFinalBlock: false, state);
        try
        {
            while (Items <= maxItems && reader.Read())
            {
                if (!started)
                {
                    started = true;
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        followed = false;
                        return;
                    }
                }
                else if (reader.CurrentDepth == 1 && reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray or JsonTokenType.PropertyName))
                {
                    Items++;
                }
            }
        }
        catch (JsonException)
        {
            followed = false;
            return;
        }

        scanned += (int)reader.BytesConsumed;
        state = reader.CurrentState;
        retryAt = body.Length + (body.Length - scanned);
    }
}
