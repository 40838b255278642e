using EventStore.Api.Workspaces;
using EventStore.Domain.Tracking;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace EventStore.Api.EventNames;

/// <summary>Makes an archived name active again, if a slot is free under the active-name cap (422 otherwise).</summary>
public sealed record UnarchiveEventName(EventName Name);

public static class UnarchiveEventNameEndpoint
{
    [WolverinePost("/event-names/{name}/unarchive")]
    [Authorize(Policy = Policies.WriteEvents)]
    public static async Task<IResult> Post(HttpContext context, string name, IMessageBus bus) =>
        EventNameChanges.TryReadName(context, name, out var eventName, out var error)
            ? await EventNameChanges.InvokeAsync(context, bus, new UnarchiveEventName(eventName))
            : error!;
}

public static class UnarchiveEventNameHandler
{
    public static Task<EventNameOutcome> Handle(UnarchiveEventName command, IDocumentSession session, IOptions<TrackingRules> rules, CancellationToken cancellation) =>
        EventNameChanges.DecideAsync(session, command.Name, catalog => catalog.Unarchive(session.TenantId, command.Name, rules.Value.ActiveEventNameCap), cancellation);
}
