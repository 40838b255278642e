using System.Text.Json;
using EventStore.Api.Summaries;
using EventStore.Api.Tracking;
using EventStore.Domain.Tracking;

namespace EventStore.Api.Tests.Http;

/// <summary>
/// Wolverine logs a failed command as "Invocation of {Message} failed!", which prints the command: a command
/// must print no user identifier and no metadata value (docs/security.md, "What is logged").
/// </summary>
public sealed class when_a_command_is_written_to_a_log
{
    private const string Body = """
        {"event_name":"placed-order","created_at":1700000000,"user_id":"user-314159","email":"jane@example.org",
         "metadata":{"card":"4111-1111-1111-1111"}}
        """;

    private static readonly string[] Personal = ["user-314159", "jane@example.org", "4111-1111-1111-1111"];

    [Fact]
    public void does_not_print_the_users_identifiers_or_metadata_of_a_track_command()
    {
        using var json = JsonDocument.Parse(Body);
        var command = TrackEventRequest.Parse(json.RootElement, new TrackingRules(), DateTimeOffset.UtcNow).Command!;

        var printed = command.ToString();

        printed.ShouldContain("placed-order", customMessage: "the event name helps the operator");
        Personal.ShouldAllBe(value => !printed.Contains(value), $"printed: {printed}");
        new TrackEventsInBulk([command], Atomic: false).ToString().ShouldNotContain("user-314159");
    }

    [Fact]
    public void does_not_print_the_users_identifiers_of_a_summary_import()
    {
        using var json = JsonDocument.Parse("""{"user_id":"user-314159","event_summaries":{"event_name":"placed-order","count":1,"first":1700000000,"last":1700000000}}""");
        var (command, _) = ImportEventSummariesRequest.Parse(json.RootElement, new TrackingRules(), DateTimeOffset.UtcNow);

        command!.ToString().ShouldNotContain("user-314159");
    }
}
