using EventStore.Domain.Tracking;

namespace EventStore.Domain.EventNames;

/// <summary>A name was used for the first time in its workspace and took one of the active slots.</summary>
public sealed record EventNameActivated(string Workspace, string Name);

/// <summary>
/// The workspace's event names (one stream per workspace). It enforces Intercom's cap on active
/// event names; the stream's version makes the check exact when two new names arrive at once.
/// </summary>
public sealed record EventNameCatalog
{
    /// <summary>The one stream key of the catalog inside each workspace (streams are keyed per tenant).</summary>
    public const string StreamKey = "event-names";

    public string Id { get; init; } = StreamKey;

    /// <summary>Every name ever used, with whether it is archived.</summary>
    public IReadOnlyDictionary<string, bool> Names { get; init; } = new Dictionary<string, bool>();

    public int ActiveCount => Names.Count(n => !n.Value);

    public static EventNameCatalog Create(EventNameActivated activated) => new EventNameCatalog().Apply(activated);

    public EventNameCatalog Apply(EventNameActivated activated) =>
        this with { Names = new Dictionary<string, bool>(Names) { [activated.Name] = false } };

    public bool Knows(EventName name) => Names.ContainsKey(name.Value);

    /// <summary>Lets a known name through; activates a new one while there is a free slot; refuses it beyond the cap.</summary>
    public Result<EventNameActivated?> Admit(string workspace, EventName name, int activeNameCap)
    {
        if (Knows(name))
        {
            return (EventNameActivated?)null;
        }

        if (ActiveCount >= activeNameCap)
        {
            return new Rejection(
                RejectionKind.Unprocessable,
                "unprocessable_entity",
                $"Cannot have more than {activeNameCap} active event names",
                "event_name");
        }

        return new EventNameActivated(workspace, name.Value);
    }
}
