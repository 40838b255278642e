using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EventStore.Api.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace EventStore.Api.Tests.Telemetry;

/// <summary>
/// <see cref="EventStoreMetrics"/> observed with a <see cref="MeterListener"/>. The meter is process-wide and
/// other tests record on it at the same time, so each test records for a workspace of its own and looks only at that.
/// </summary>
public sealed class when_recording_event_store_metrics : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> measurements = new();
    private readonly ConcurrentBag<string> published = [];

    public when_recording_event_store_metrics()
    {
        // Creates the instruments (if no test did yet) so that the listener sees them published.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(EventStoreMetrics).TypeHandle);
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EventStoreMetrics.MeterName)
            {
                published.Add(instrument.Name);
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));

    private List<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string workspace) =>
        [.. measurements.Where(m => Equals(m.Tags.GetValueOrDefault(EventStoreMetrics.WorkspaceTag), workspace))];

    private static HttpContext Request(string method, string route)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = route;
        context.SetEndpoint(new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse(route), 0, EndpointMetadataCollection.Empty, route));
        return context;
    }

    [Fact]
    public void publishes_every_instrument_under_the_eventstore_meter()
    {
        published.ShouldBe(
            ["eventstore.events.accepted", "eventstore.events.duplicates", "eventstore.events.rejected", "eventstore.append.duration", "eventstore.projection.lag", "eventstore.write.conflicts", "eventstore.commit.pending", "eventstore.leader"],
            ignoreOrder: true);
    }

    [Fact]
    public void counts_events_with_their_workspace_and_rejections_with_their_reason()
    {
        EventStoreMetrics.Accepted("unit-1", 3);
        EventStoreMetrics.Duplicate("unit-1");
        EventStoreMetrics.Rejected("unit-1", "conflict");

        Of("unit-1").Select(m => (m.Instrument, m.Value, m.Tags.GetValueOrDefault(EventStoreMetrics.ReasonTag))).ShouldBe(
        [
            ("eventstore.events.accepted", 3, null),
            ("eventstore.events.duplicates", 1, null),
            ("eventstore.events.rejected", 1, (object?)"conflict"),
        ]);
    }

    [Fact]
    public void records_append_durations_in_seconds_with_their_outcome()
    {
        EventStoreMetrics.RecordAppend("unit-2", TimeSpan.FromMilliseconds(250));
        EventStoreMetrics.RecordAppend("unit-2", TimeSpan.FromMilliseconds(5), EventStoreMetrics.Conflict);

        Of("unit-2").Select(m => (m.Instrument, m.Value, m.Tags[EventStoreMetrics.OutcomeTag])).ShouldBe(
        [
            ("eventstore.append.duration", 0.25, "committed"),
            ("eventstore.append.duration", 0.005, (object?)"conflict"),
        ]);
    }

    [Fact]
    public void counts_retried_write_conflicts_with_their_kind()
    {
        EventStoreMetrics.ConflictRetried("unit-5", "identity");
        EventStoreMetrics.ConflictRetried("unit-5", "duplicate_event");

        Of("unit-5").Select(m => (m.Instrument, m.Value, m.Tags[EventStoreMetrics.KindTag])).ShouldBe(
        [
            ("eventstore.write.conflicts", 1, "identity"),
            ("eventstore.write.conflicts", 1, (object?)"duplicate_event"),
        ]);
    }

    [Fact]
    public void counts_a_refused_request_as_an_event_only_on_the_tracking_endpoints()
    {
        EventStoreMetrics.RejectedRequest(Request("POST", "/events"), "unit-3", "rate_limit_exceeded");
        EventStoreMetrics.RejectedRequest(Request("POST", "/events/bulk"), "unit-3", "rate_limit_exceeded");
        EventStoreMetrics.RejectedRequest(Request("GET", "/events"), "unit-3", "rate_limit_exceeded");
        EventStoreMetrics.RejectedRequest(Request("POST", "/events/summaries"), "unit-3", "rate_limit_exceeded");
        EventStoreMetrics.RejectedRequest(Request("GET", "/segments"), "unit-3", "rate_limit_exceeded");

        Of("unit-3").Select(m => m.Value).ShouldBe([1, 1], "POST /events and POST /events/bulk");
    }

    [Fact]
    public async Task counts_an_unreadable_body_by_the_error_code_of_its_status()
    {
        foreach (var status in new[] { StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status400BadRequest })
        {
            var context = new DefaultHttpContext();
            await EventStoreMetrics.RejectedBody(new Answer(status), "unit-4").ExecuteAsync(context);
            context.Response.StatusCode.ShouldBe(status, "the error is answered as it was");
        }

        Of("unit-4").Select(m => m.Tags[EventStoreMetrics.ReasonTag]).ShouldBe(["request_too_large", "unsupported_media_type", "bad_request"]);
    }

    public void Dispose() => listener.Dispose();

    private sealed class Answer(int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            return Task.CompletedTask;
        }
    }
}
