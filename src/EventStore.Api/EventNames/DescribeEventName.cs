using System.Text.Json;
using EventStore.Api.Errors;
using EventStore.Api.Http;
using EventStore.Api.Workspaces;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Tracking;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Wolverine;
using Wolverine.Http;

namespace EventStore.Api.EventNames;

/// <summary>Says what an event name means; the description shows in summaries, segments and the registry.</summary>
public sealed record DescribeEventName(EventName Name, string? Description)
{
    /// <summary>What logs show: the name, not the description text.</summary>
    public override string ToString() => $"DescribeEventName {{ name = {Name.Value} }}";
}

public static class DescribeEventNameEndpoint
{
    /// <summary>PUT /event-names/{name} with <c>{"description": "..."}</c> (null or empty clears it).</summary>
    [WolverinePut("/event-names/{name}")]
    [Authorize(Policy = Policies.WriteEvents)]
    public static async Task<IResult> Put(HttpContext context, string name, IMessageBus bus)
    {
        if (!EventNameChanges.TryReadName(context, name, out var eventName, out var error))
        {
            return error!;
        }

        using var body = await RequestBody.ReadJsonAsync(context, 64 * 1024, context.RequestAborted);
        if (body.Error is not null)
        {
            return body.Error;
        }

        if (body.Root.ValueKind != JsonValueKind.Object
            || !body.Root.TryGetProperty("description", out var description)
            || description.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            return ErrorList.Result(context, [Rejection.WrongType("description", "The body must be {\"description\": \"...\"} with a string or null")]);
        }

        return await EventNameChanges.InvokeAsync(context, bus, new DescribeEventName(eventName, description.GetString()));
    }
}

public static class DescribeEventNameHandler
{
    public static Task<EventNameOutcome> Handle(DescribeEventName command, IDocumentSession session, CancellationToken cancellation) =>
        EventNameChanges.DecideAsync(session, command.Name, catalog => catalog.Describe(session.TenantId, command.Name, command.Description), cancellation);
}
