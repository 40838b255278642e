using System.Net;
using System.Net.Sockets;
using EventStore.Api.Tests.Infrastructure;
using EventStore.Api.Tests.Reliability;

namespace EventStore.Api.Tests.Hosting;

/// <summary>
/// A setting the service cannot use stops it at start-up, before it answers anything, with one line per problem that
/// names the key and the expected format, exit code 78 (EX_CONFIG) and no stack trace: the real process, as an
/// operator starts it.
/// </summary>
public sealed class when_the_service_starts_with_invalid_settings(PostgresServer postgres)
{
    /// <summary>A refusal takes a second or two; a service that starts instead is killed at this deadline.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    public static TheoryData<string, string, string[]> InvalidSettings => new()
    {
        { "Tracking__AllowedFuture", "tomorrow", ["Tracking:AllowedFuture", "'tomorrow'", "1.00:00:00"] },
        { "Idempotency__Retention", "forever", ["Idempotency:Retention", "'forever'", "1.00:00:00"] },
        { "RateLimits__RequestsPerWindow", "abc", ["RateLimits:RequestsPerWindow", "'abc'", "whole number"] },
        { "Tracking__MetadataKeyCap", "-1", ["Tracking:MetadataKeyCap", "-1"] },
        { "Tracking__Bulk__MaxEvents", "0", ["Tracking:Bulk:MaxEvents", "0"] },
        { "Operations__Rebuild__Workers", "many", ["Operations:Rebuild:Workers", "'many'", "whole number"] },
        { "Telemetry__Prometheus__Enabled", "yes", ["Telemetry:Prometheus:Enabled", "'yes'", "true or false"] },
        { "Telemetry__Prometheus__Path", "metrics", ["Telemetry:Prometheus:Path", "/"] },
        { "Telemetry__Otlp__Protocol", "udp", ["Telemetry:Otlp:Protocol", "grpc", "http/protobuf"] },
        { "Kestrel__Limits__MaxRequestBodySize", "lots", ["Kestrel:Limits:MaxRequestBodySize", "'lots'"] },
        { "Workspaces__0__Id", "Acme Corp", ["Workspaces:0:Id", "Acme Corp", "a-z"] },
        { "ConnectionStrings__Postgres", "Hots=db;Databse=x", ["ConnectionStrings:Postgres"] },
        { "Management__Urls", "9090", ["Management:Urls", "'9090'", "http://0.0.0.0:9090"] },
    };

    private async Task<ProcessRun> StartWith(string key, string? value, string environment = "Production")
    {
        var settings = new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = environment,
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ApiProcess.FreePort()}",
            ["ConnectionStrings__Postgres"] = await postgres.CreateDatabaseAsync("settings"),
            ["Workspaces__0__Id"] = "acme",
            ["Workspaces__0__AccessTokens__0"] = ApiFixture.AcmeToken,
        };
        settings[key] = value;
        // The service must stop by itself; were it to start instead, the deadline ends the run and fails the test.
        return await ServiceProcess.RunAsync(settings, Deadline);
    }

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task stops_with_one_line_naming_the_key_and_the_expected_format(string key, string value, string[] expected)
    {
        var run = await StartWith(key, value);

        run.ExitCode.ShouldBe(78, run.ToString());
        var lines = run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(1, $"one line for one problem: {run}");
        foreach (var part in expected)
        {
            lines[0].ShouldContain(part, Case.Sensitive, run.ToString());
        }

        ShouldHaveNoStackTrace(run);
        run.Output.ShouldBeEmpty($"nothing else is printed: {run}");
    }

    [Fact]
    public async Task names_every_invalid_setting_at_once()
    {
        var both = await ServiceProcess.RunAsync(new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ApiProcess.FreePort()}",
            ["ConnectionStrings__Postgres"] = await postgres.CreateDatabaseAsync("settings"),
            ["Tracking__AllowedFuture"] = "tomorrow",
            ["Idempotency__Retention"] = "forever",
        }, Deadline);

        both.ExitCode.ShouldBe(78, both.ToString());
        both.Errors.ShouldContain("Tracking:AllowedFuture", Case.Sensitive, both.ToString());
        both.Errors.ShouldContain("Idempotency:Retention", Case.Sensitive, both.ToString());
    }

    [Fact]
    public async Task stops_without_a_connection_string_in_production_saying_which_key_to_set()
    {
        var run = await StartWith("ConnectionStrings__Postgres", null);

        run.ExitCode.ShouldBe(78, run.ToString());
        run.Errors.ShouldContain("ConnectionStrings:Postgres", Case.Sensitive, run.ToString());
        run.Errors.ShouldContain("ConnectionStrings__Postgres=", Case.Sensitive, "the message shows how to set it");
        ShouldHaveNoStackTrace(run);
    }

    [Fact]
    public async Task never_prints_a_secret_it_refuses()
    {
        var run = await StartWith("Workspaces__0__AccessTokens__0", "");
        var duplicate = await StartWith("Admin__AccessTokens__0", ApiFixture.AcmeToken);

        run.ExitCode.ShouldBe(78, run.ToString());
        run.Errors.ShouldContain("Workspaces:0:AccessTokens:0", Case.Sensitive, run.ToString());
        duplicate.ExitCode.ShouldBe(78, duplicate.ToString());
        duplicate.ToString().ShouldNotContain(ApiFixture.AcmeToken, Case.Sensitive, "a token configured twice is named by where it is, never by its value");
        ShouldHaveNoStackTrace(duplicate);
    }

    [Fact]
    public async Task stops_when_its_address_is_taken_and_says_how_to_choose_another()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var address = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndPoint!).Port}";

        var run = await StartWith("ASPNETCORE_URLS", address);

        run.ExitCode.ShouldNotBe(0, run.ToString());
        run.Errors.ShouldContain(address, Case.Sensitive, run.ToString());
        run.Errors.ShouldContain("--urls", Case.Sensitive, "the way to listen elsewhere");
        run.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1, run.ToString());
        ShouldHaveNoStackTrace(run);
    }

    [Fact]
    public async Task stops_with_one_line_when_the_database_cannot_be_reached()
    {
        var nobody = ApiProcess.FreePort();

        var run = await StartWith("ConnectionStrings__Postgres", $"Host=127.0.0.1;Port={nobody};Database=eventstore;Username=eventstore;Password=not-shown");

        run.ExitCode.ShouldBe(1, run.ToString());
        run.Errors.Trim().Split('\n').Length.ShouldBe(1, run.ToString());
        run.Errors.ShouldContain($"127.0.0.1:{nobody}", Case.Sensitive, "where it tried");
        run.Errors.ShouldContain("ConnectionStrings:Postgres", Case.Sensitive, "which setting says so");
        run.ToString().ShouldNotContain("not-shown", Case.Sensitive, "never the password");
        ShouldHaveNoStackTrace(run);
    }

    private static void ShouldHaveNoStackTrace(ProcessRun run)
    {
        run.ToString().ShouldNotContain("   at ", Case.Sensitive, $"no stack trace: {run}");
        run.ToString().ShouldNotContain("Unhandled exception", Case.Sensitive, run.ToString());
    }
}
