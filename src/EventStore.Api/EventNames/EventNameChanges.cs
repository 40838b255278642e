using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Persistence;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Tracking;
using Marten;
using Wolverine;

namespace EventStore.Api.EventNames;

/// <summary>The result of a change to the workspace's event-name catalog: the name as it now stands, or why not.</summary>
public sealed record EventNameOutcome(string Name, EventNameEntry? Entry, Rejection? Rejection);

/// <summary>
/// What the three event-name commands share: deciding on the catalog stream fetched for writing (its
/// version makes concurrent changes safe) and answering with the name as it now stands.
/// </summary>
public static class EventNameChanges
{
    public static async Task<EventNameOutcome> DecideAsync<TEvent>(
        IDocumentSession session, EventName name, Func<EventNameCatalog, Result<TEvent>> decide, CancellationToken cancellation)
        where TEvent : class?
    {
        var stream = await session.Events.FetchForWriting<EventNameCatalog>(EventNameCatalog.StreamKey, cancellation);
        var catalog = stream.Aggregate ?? new EventNameCatalog();
        var decision = decide(catalog);
        if (!decision.IsSuccess)
        {
            return new EventNameOutcome(name.Value, null, decision.Rejection);
        }

        if (decision.Value is { } change)
        {
            stream.AppendOne(change);
            catalog = catalog.Evolve(change);
        }

        return new EventNameOutcome(name.Value, catalog.Find(name.Value), null);
    }

    /// <summary>Runs a command for the caller's workspace and answers with the event-name object.</summary>
    public static async Task<IResult> InvokeAsync(HttpContext context, IMessageBus bus, object command)
    {
        var cancellation = context.RequestAborted;
        var workspace = context.User.WorkspaceOf();
        var outcome = await WriteConflicts.RetryAsync(workspace,
            () => bus.InvokeForTenantAsync<EventNameOutcome>(workspace, command, cancellation), cancellation);
        return outcome.Rejection is not null
            ? ErrorList.Result(context, [outcome.Rejection])
            : ApiJson.Ok(new EventNameResource("event_name", outcome.Name, outcome.Entry!.Description, outcome.Entry.Archived));
    }

    /// <summary>Reads the name from the route (already URL-decoded by routing) as the write side normalizes it.</summary>
    public static bool TryReadName(HttpContext context, string raw, out EventName name, out IResult? error)
    {
        error = null;
        if (EventName.TryParse(raw, "event_name", out name, out var rejection))
        {
            return true;
        }

        error = ErrorList.Result(context, [rejection!]);
        return false;
    }
}

/// <summary>An event name as the registry shows it after a change.</summary>
public sealed record EventNameResource(string Type, string Name, string? Description, bool Archived);
