using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using Microsoft.AspNetCore.Authorization;
using Npgsql;
using Wolverine.Http;

namespace EventStore.Api.Overview;

/// <summary>One event name's counts in an activity chart, one per bucket, and their sum.</summary>
public sealed record ActivitySeries(string Name, long Total, IReadOnlyList<long> Counts);

/// <summary>Events per hour or per day, by name: the answer of <c>GET /events/activity</c>.</summary>
public sealed record EventActivity(string Interval, IReadOnlyList<long> Buckets, long Total, IReadOnlyList<ActivitySeries> EventNames)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "event.activity";
}

/// <summary>
/// GET /events/activity?interval=hour|day: how many events of each name were tracked in each of the last 24 hours
/// (<c>hour</c>, the default) or the last 30 days (<c>day</c>), in UTC, the current hour or day included, by the
/// events' <c>created_at</c>. <c>buckets</c> are the buckets' starts (Unix seconds), oldest first; each name's
/// <c>counts</c> line up with them. Names are ordered by their total, largest first; names without events in the
/// window are left out. Read from <c>event_activity</c> (<see cref="EventActivityProjection"/>).
/// </summary>
public static class GetEventActivityEndpoint
{
    public const int Hours = 24;
    public const int Days = 30;
    private const long SecondsPerDay = 86_400;

    [WolverineGet("/events/activity")]
    [Authorize(Policy = Policies.ReadEvents)]
    public static async Task<IResult> Get(HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock)
    {
        var query = new QueryParameters(context.Request.Query);
        var interval = query.String("interval") ?? "hour";
        if (interval is not ("hour" or "day"))
        {
            query.Reject(Rejection.Invalid("interval", "interval must be hour or day"));
        }

        if (!query.IsValid)
        {
            return ErrorList.Result(context, query.Rejections);
        }

        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var (width, count) = interval == "hour" ? (EventActivityProjection.SecondsPerHour, Hours) : (SecondsPerDay, Days);
        var last = now - (((now % width) + width) % width);
        var first = last - ((count - 1) * width);
        var buckets = Enumerable.Range(0, count).Select(i => first + (i * width)).ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(context.RequestAborted);
        var rows = await Sql.ListAsync(connection, null,
            $"select name, hour - ((hour % $4 + $4) % $4) as bucket, sum(count)::bigint from {EventActivityProjection.Table.QualifiedName} " +
            "where tenant_id = $1 and hour >= $2 and hour < $3 group by 1, 2 having sum(count) <> 0",
            reader => (Name: reader.GetString(0), Bucket: reader.GetInt64(1), Count: reader.GetInt64(2)),
            context.RequestAborted, context.User.WorkspaceOf(), first, last + width, width);

        var series = rows.GroupBy(r => r.Name, StringComparer.Ordinal)
            .Select(name =>
            {
                var counts = new long[count];
                foreach (var row in name)
                {
                    counts[(row.Bucket - first) / width] += row.Count;
                }

                return new ActivitySeries(name.Key, counts.Sum(), counts);
            })
            .OrderByDescending(s => s.Total).ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
        return ApiJson.Ok(new EventActivity(interval, buckets, series.Sum(s => s.Total), series));
    }
}
