using EventStore.Domain.Tracking;

namespace EventStore.Domain.EventNames;

/// <summary>A name was used for the first time in its workspace and took one of the active slots.</summary>
public sealed record EventNameActivated(string Workspace, string Name);

/// <summary>The workspace said what a name means; summaries and segments show it.</summary>
public sealed record EventNameDescribed(string Workspace, string Name, string? Description);

/// <summary>A name was archived: hidden from segment listings, and its slot under the cap freed.</summary>
public sealed record EventNameArchived(string Workspace, string Name);

/// <summary>An archived name became active again and took a slot.</summary>
public sealed record EventNameUnarchived(string Workspace, string Name);

/// <summary>What the catalog knows of one name.</summary>
public sealed record EventNameEntry(bool Archived, string? Description);

/// <summary>
/// The workspace's event names (one stream per workspace). It enforces Intercom's cap on active
/// event names; the stream's version makes the check exact when two new names arrive at once.
/// </summary>
public sealed record EventNameCatalog
{
    /// <summary>The one stream key of the catalog inside each workspace (streams are keyed per tenant).</summary>
    public const string StreamKey = "event-names";

    public string Id { get; init; } = StreamKey;

    public const int MaxDescriptionLength = 1000;

    /// <summary>Every name ever used, archived or not, with its description.</summary>
    public IReadOnlyDictionary<string, EventNameEntry> Names { get; init; } = new Dictionary<string, EventNameEntry>();

    public int ActiveCount => Names.Count(n => !n.Value.Archived);

    public static EventNameCatalog Create(EventNameActivated activated) => new EventNameCatalog().Apply(activated);

    public EventNameCatalog Apply(EventNameActivated activated) => With(activated.Name, new EventNameEntry(false, null));

    public EventNameCatalog Apply(EventNameDescribed described) => With(described.Name, Names[described.Name] with { Description = described.Description });

    public EventNameCatalog Apply(EventNameArchived archived) => With(archived.Name, Names[archived.Name] with { Archived = true });

    public EventNameCatalog Apply(EventNameUnarchived unarchived) => With(unarchived.Name, Names[unarchived.Name] with { Archived = false });

    public EventNameCatalog Evolve(object @event) => @event switch
    {
        EventNameActivated e => Apply(e),
        EventNameDescribed e => Apply(e),
        EventNameArchived e => Apply(e),
        EventNameUnarchived e => Apply(e),
        _ => this,
    };

    public bool Knows(EventName name) => Names.ContainsKey(name.Value);

    public EventNameEntry? Find(string name) => Names.GetValueOrDefault(name);

    /// <summary>
    /// An event with an archived name is still recorded (nothing a client sends is lost) and the name
    /// stays archived: it takes no slot until someone unarchives it.
    /// </summary>
    public bool IsArchived(EventName name) => Names.TryGetValue(name.Value, out var entry) && entry.Archived;

    /// <summary>Lets a known name through; activates a new one while there is a free slot; refuses it beyond the cap.</summary>
    public Result<EventNameActivated?> Admit(string workspace, EventName name, int activeNameCap)
    {
        if (Knows(name))
        {
            return (EventNameActivated?)null;
        }

        if (ActiveCount >= activeNameCap)
        {
            return CapReached(activeNameCap);
        }

        return new EventNameActivated(workspace, name.Value);
    }

    public Result<EventNameDescribed> Describe(string workspace, EventName name, string? description)
    {
        if (!Knows(name))
        {
            return UnknownName(name);
        }

        if (description is not null && (description.Length > MaxDescriptionLength || Text.HasNul(description)))
        {
            return Rejection.Invalid("description", $"description must be at most {MaxDescriptionLength} characters, without NUL");
        }

        return new EventNameDescribed(workspace, name.Value, string.IsNullOrWhiteSpace(description) ? null : description);
    }

    /// <summary>Archives a name; archiving an archived name changes nothing (null).</summary>
    public Result<EventNameArchived?> Archive(string workspace, EventName name) =>
        !Knows(name) ? UnknownName(name)
        : IsArchived(name) ? (EventNameArchived?)null
        : new EventNameArchived(workspace, name.Value);

    /// <summary>Unarchives a name if a slot is free under the cap; an active name changes nothing (null).</summary>
    public Result<EventNameUnarchived?> Unarchive(string workspace, EventName name, int activeNameCap) =>
        !Knows(name) ? UnknownName(name)
        : !IsArchived(name) ? (EventNameUnarchived?)null
        : ActiveCount >= activeNameCap ? CapReached(activeNameCap)
        : new EventNameUnarchived(workspace, name.Value);

    private EventNameCatalog With(string name, EventNameEntry entry) =>
        this with { Names = new Dictionary<string, EventNameEntry>(Names) { [name] = entry } };

    private static Rejection UnknownName(EventName name) =>
        new(RejectionKind.NotFound, "not_found", $"No event named '{name.Value}' has been tracked in this workspace", "event_name");

    private static Rejection CapReached(int cap) =>
        new(RejectionKind.Unprocessable, "unprocessable_entity", $"Cannot have more than {cap} active event names", "event_name");
}
