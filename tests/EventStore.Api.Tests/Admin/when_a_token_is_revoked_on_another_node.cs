using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Admin;

/// <summary>
/// Each node caches the issued tokens it has found valid (docs/security.md, "Revocation"); a revocation made on one
/// node, or from the command line, is refused by every other node within the bound, including a node whose
/// listening connection was lost meanwhile. Two API processes on one database.
/// </summary>
public sealed class when_a_token_is_revoked_on_another_node(PostgresServer postgres) : TwoNodes(postgres, "revocation")
{
    /// <summary>What the documentation promises is about a second; the poll allows for a loaded CI machine.</summary>
    private static readonly TimeSpan RefusalDeadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task the_other_node_refuses_it_although_it_had_accepted_it_before()
    {
        using var one = First.Client();
        using var other = Second.Client();
        var (id, secret) = await IssueAsync(one);
        await ShouldBeAcceptedAsync(other, secret, "the other node knows the token (and caches it)");

        (await one.SendAsync(HttpMethod.Delete, $"/admin/tokens/{id}", ApiFixture.AdminToken)).Status.ShouldBe(HttpStatusCode.NoContent);

        (await one.SendAsync(HttpMethod.Get, "/me", secret)).Status.ShouldBe(HttpStatusCode.Unauthorized, "the revoking node refuses it at once");
        await ShouldBeRefusedAsync(other, secret);
    }

    [Fact]
    public async Task a_revocation_from_the_command_line_reaches_every_running_node()
    {
        using var one = First.Client();
        using var other = Second.Client();
        var (id, secret) = await IssueAsync(one);
        await ShouldBeAcceptedAsync(one, secret, "cached by the first node");
        await ShouldBeAcceptedAsync(other, secret, "cached by the second node");

        var revoked = await ServiceProcess.RunAsync(new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Testing",
            ["ConnectionStrings__Postgres"] = ConnectionString,
            ["Workspaces__0__Id"] = "acme",
            ["Logging__LogLevel__Default"] = "Warning",
        }, "tokens", "revoke", id);

        revoked.ExitCode.ShouldBe(0, revoked.ToString());
        await ShouldBeRefusedAsync(one, secret);
        await ShouldBeRefusedAsync(other, secret);
    }

    [Fact]
    public async Task a_node_that_lost_its_listening_connection_stops_trusting_its_cache()
    {
        using var one = First.Client();
        using var other = Second.Client();
        var (id, secret) = await IssueAsync(one);
        await ShouldBeAcceptedAsync(other, secret, "cached by the second node");

        // Every node's listening connection goes; then the token is revoked in a way no node hears of.
        await Database.ExecuteAsync(ConnectionString,
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'eventstore-token-revocations'");
        await Database.ExecuteAsync(ConnectionString, "update eventstore.access_tokens set revoked_at = now() where id = $1", id);

        await ShouldBeRefusedAsync(other, secret);
    }

    private static async Task<(string Id, string Secret)> IssueAsync(HttpClient client)
    {
        var (status, body) = await client.SendAsync(HttpMethod.Post, "/admin/tokens", ApiFixture.AdminToken,
            TwoTenantService.Json(JsonSerializer.Serialize(new { workspace = "acme", scopes = new[] { "events:read" }, name = "revocation test" })));
        status.ShouldBe(HttpStatusCode.Created, body);
        var created = JsonNode.Parse(body)!;
        return (created["id"]!.GetValue<string>(), created["token"]!.GetValue<string>());
    }

    private static async Task ShouldBeAcceptedAsync(HttpClient client, string secret, string why)
    {
        for (var i = 0; i < 3; i++)
        {
            var (status, body) = await client.SendAsync(HttpMethod.Get, "/me", secret);
            status.ShouldBe(HttpStatusCode.OK, $"{why}: {body}");
        }
    }

    /// <summary>Polls until the node refuses the token, failing at the deadline with how it answered last.</summary>
    private static async Task ShouldBeRefusedAsync(HttpClient client, string secret)
    {
        var started = Stopwatch.StartNew();
        HttpStatusCode? last = null;
        while (started.Elapsed < RefusalDeadline)
        {
            (last, _) = await client.SendAsync(HttpMethod.Get, "/me", secret);
            if (last == HttpStatusCode.Unauthorized)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        last.ShouldBe(HttpStatusCode.Unauthorized, $"a revoked token is still accepted {RefusalDeadline.TotalSeconds:0} s after its revocation");
    }
}
