using EventStore.Api.Workspaces;
using EventStore.Domain.Tracking;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Wolverine;
using Wolverine.Http;

namespace EventStore.Api.EventNames;

/// <summary>
/// Archives a name: it leaves GET /segments (unless include_archived=true) and frees its slot under the
/// active-name cap. Events sent later with that name are still recorded, and the name stays archived.
/// </summary>
public sealed record ArchiveEventName(EventName Name);

public static class ArchiveEventNameEndpoint
{
    [WolverinePost("/event-names/{name}/archive")]
    [Authorize(Policy = Policies.WriteEvents)]
    public static async Task<IResult> Post(HttpContext context, string name, IMessageBus bus) =>
        EventNameChanges.TryReadName(context, name, out var eventName, out var error)
            ? await EventNameChanges.InvokeAsync(context, bus, new ArchiveEventName(eventName))
            : error!;
}

public static class ArchiveEventNameHandler
{
    public static Task<EventNameOutcome> Handle(ArchiveEventName command, IDocumentSession session, CancellationToken cancellation) =>
        EventNameChanges.DecideAsync(session, command.Name, catalog => catalog.Archive(session.TenantId, command.Name), cancellation);
}
