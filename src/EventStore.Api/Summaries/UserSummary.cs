using System.Text.Json;
using EventStore.Api.Http;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using Marten;
using Npgsql;

namespace EventStore.Api.Summaries;

/// <summary>
/// GET /events?...&amp;summary=true: Intercom's <c>event.summary</c>, one entry per event name the user has
/// (count, first, last as ISO-8601 UTC, the workspace's description of the name), from <c>event_stats</c>.
/// It is built inline, so a client that got 202 sees its event counted in its next summary.
/// </summary>
public static class UserSummary
{
    internal static readonly string Sql =
        $"select name, count, first_at, last_at from {EventStatsProjection.Table.QualifiedName} where tenant_id = $1 and timeline_id = $2 order by name";

    public static async Task<IResult> ReadAsync(IQuerySession session, NpgsqlDataSource dataSource, UserTimeline timeline, CancellationToken cancellation)
    {
        var catalog = await session.LoadAsync<EventNameCatalog>(EventNameCatalog.StreamKey, cancellation) ?? new EventNameCatalog();
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.AddWithValue(session.TenantId);
        command.Parameters.AddWithValue(timeline.Id);
        var rows = new List<(string Name, long Count, long First, long Last)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            while (await reader.ReadAsync(cancellation))
            {
                rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }

        return Results.Stream(async stream =>
        {
            await using var writer = ApiJson.Writer(stream);
            writer.WriteStartObject();
            writer.WriteString("type", "event.summary");
            writer.WriteString("user_id", timeline.UserId);
            writer.WriteString("email", timeline.Email);
            writer.WriteString("intercom_user_id", timeline.Id);
            writer.WriteStartArray("events");
            foreach (var (name, count, first, last) in rows)
            {
                writer.WriteStartObject();
                writer.WriteString("name", name);
                writer.WriteString("first", ApiJson.Iso8601(first));
                writer.WriteString("last", ApiJson.Iso8601(last));
                writer.WriteNumber("count", count);
                writer.WriteString("description", catalog.Find(name)?.Description);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            await writer.FlushAsync();
        }, "application/json; charset=utf-8");
    }
}
