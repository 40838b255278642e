using System.Net;
using System.Text;
using System.Text.Json;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Hosting;

/// <summary>
/// In Production the service's standard output is JSON lines from the first line to the last, so that a log shipper
/// (or the <c>jq</c> line of docs/operations.md) reads every line; and what an operator must know at start-up is said there.
/// </summary>
public sealed class when_the_service_runs_in_production(PostgresServer postgres)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task writes_only_json_lines_to_standard_output_from_start_to_stop()
    {
        await using var api = await StartAsync("jsonlines");
        using (var client = api.Client())
        {
            (await Post(client, "wrong-token")).ShouldBe(HttpStatusCode.Unauthorized);
            (await Post(client, ApiFixture.AcmeToken)).ShouldBe(HttpStatusCode.Accepted);
        }

        (await api.StopAsync(Deadline)).ShouldBe(0, api.OutputTail);

        var lines = api.StandardOutput.Where(line => line.Length > 0).ToList();
        lines.ShouldNotBeEmpty("the service says when it listens and when it stops");
        foreach (var line in lines)
        {
            ShouldBeAJsonObject(line, api.OutputTail);
        }
    }

    [Fact]
    public async Task logs_nothing_for_refused_tokens_with_the_default_levels()
    {
        await using var api = await StartAsync("quietauth");
        using (var client = api.Client())
        {
            for (var i = 0; i < 3; i++)
            {
                (await Post(client, "wrong-token")).ShouldBe(HttpStatusCode.Unauthorized);
            }
        }

        (await api.StopAsync(Deadline)).ShouldBe(0, api.OutputTail);

        api.StandardOutput.ShouldNotContain(line => line.Contains("AuthenticationScheme", StringComparison.Ordinal) || line.Contains("challenged", StringComparison.Ordinal),
            $"warnings and errors only by default (docs/security.md): {api.OutputTail}");
    }

    [Fact]
    public async Task warns_when_no_workspace_is_configured()
    {
        await using var api = await StartAsync("noworkspace", new() { ["Workspaces__0__Id"] = null, ["Workspaces__0__AccessTokens__0"] = null });

        var warning = api.StandardOutput.FirstOrDefault(line => line.Contains("Workspaces:N:Id", StringComparison.Ordinal));

        warning.ShouldNotBeNull($"a warning names the setting that is missing: {api.OutputTail}");
        ShouldBeAJsonObject(warning, api.OutputTail).GetProperty("LogLevel").GetString().ShouldBe("Warning");
    }

    /// <summary>The service with the log levels an operator gets: those of appsettings.json (warnings, errors, lifetime lines).</summary>
    private async Task<ApiProcess> StartAsync(string database, Dictionary<string, string?>? settings = null)
    {
        var api = ApiProcess.Start(await postgres.CreateDatabaseAsync(database), new Dictionary<string, string?>(settings ?? [])
        {
            ["Logging__LogLevel__Default"] = null,
        });
        await api.WaitUntilReadyAsync(Deadline);
        return api;
    }

    private static JsonElement ShouldBeAJsonObject(string line, string context)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            document.RootElement.ValueKind.ShouldBe(JsonValueKind.Object, line);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ShouldAssertException($"standard output has a line that is not JSON ({e.Message}):{Environment.NewLine}{line}{Environment.NewLine}---{Environment.NewLine}{context}");
        }
    }

    private static async Task<HttpStatusCode> Post(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events")
        {
            Content = new StringContent("""{"event_name":"logged","created_at":1700000000,"user_id":"json-lines"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }
}
