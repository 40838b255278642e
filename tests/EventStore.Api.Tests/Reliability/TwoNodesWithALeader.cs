using System.Text.RegularExpressions;
using EventStore.Api.Tests.Infrastructure;
using Npgsql;

namespace EventStore.Api.Tests.Reliability;

/// <summary>
/// Two API processes on one database that elect a leader every second and purge expired idempotency keys every second
/// (Hosting/LeaderElection.cs); each logs when it becomes the leader and each purge it runs.
/// </summary>
public abstract partial class TwoNodesWithALeader(PostgresServer postgres, string database) : TwoNodes(postgres, database)
{
    public const string BecameLeader = "This node is the leader";
    public const string Purging = "Deleting expired idempotency keys";

    /// <summary>Long enough for a node's start, an election and a takeover on a busy CI machine.</summary>
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Leadership__CheckInterval"] = "00:00:01",
        ["Idempotency__PurgeInterval"] = "00:00:01",
        ["Logging__LogLevel__EventStore.Api.Hosting.LeaderElection"] = "Information",
        ["Logging__LogLevel__EventStore.Api.Protection.IdempotencyKeyPurge"] = "Debug",
    };

    /// <summary>The node that became the leader, once one has (the other one is returned second).</summary>
    protected async Task<(ApiProcess Leader, ApiProcess Follower)> LeaderAsync()
    {
        await Waits.Until(() => Leads(First) || Leads(Second), Deadline, "one of the two nodes to become the leader");
        return Leads(First) ? (First, Second) : (Second, First);
    }

    protected static bool Leads(ApiProcess node) => Count(node, BecameLeader) > 0;

    protected static int Count(ApiProcess node, string message) => node.Lines.Count(line => line.Contains(message, StringComparison.Ordinal));

    /// <summary>What the node's <c>/metrics</c> says of <c>eventstore_leader</c>: 1 when it leads, 0 when not.</summary>
    protected static async Task<string?> LeaderGaugeAsync(ApiProcess node, CancellationToken cancellation)
    {
        using var client = node.Client();
        var gauge = LeaderGauge().Match(await client.GetStringAsync("/metrics", cancellation));
        return gauge.Success ? gauge.Groups["value"].Value : null;
    }

    /// <summary>A stored response older than the 24 h retention, as a purge would find it.</summary>
    protected async Task InsertExpiredKeyAsync(string key, CancellationToken cancellation) =>
        await ExecuteAsync(
            "insert into eventstore.idempotency_keys (tenant_id, idempotency_key, request_hash, claim_id, claimed_at, status, body) " +
            "values ('acme', $1, '\\x00', gen_random_uuid(), now() - interval '25 hours', 200, '\\x7b7d')", cancellation, key);

    protected async Task<bool> KeyExistsAsync(string key, CancellationToken cancellation) =>
        (bool)(await ExecuteAsync("select exists (select 1 from eventstore.idempotency_keys where tenant_id = 'acme' and idempotency_key = $1)",
            cancellation, key))!;

    /// <summary>Runs one statement on a connection of the test's own; returns its scalar.</summary>
    protected async Task<object?> ExecuteAsync(string sql, CancellationToken cancellation, params object[] parameters)
    {
        await using var connection = await Database.OpenAsync(ConnectionString);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return await command.ExecuteScalarAsync(cancellation);
    }

    [GeneratedRegex(@"(?m)^eventstore_leader(\{[^}]*\})? (?<value>\d+)$")]
    private static partial Regex LeaderGauge();
}
