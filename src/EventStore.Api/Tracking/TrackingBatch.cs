using System.Security.Cryptography;
using EventStore.Api.Persistence;
using EventStore.Api.Privacy;
using EventStore.Domain;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using EventStore.Domain.Tracking;
using JasperFx.Events;
using Marten;
using Marten.Services.BatchQuerying;

namespace EventStore.Api.Tracking;

/// <summary>Track commands that succeed or fail together (a bulk request with <c>atomic=true</c>), or a single one.</summary>
public sealed record TrackingWork(IReadOnlyList<TrackEvent> Commands, bool Atomic);

/// <summary>
/// Decides many track commands of one workspace against the <see cref="UserTimeline"/> and
/// <see cref="EventNameCatalog"/> rules and stages all their events on one Marten session, so that they
/// are committed in one transaction (group commit). Commands are decided in arrival order, each seeing
/// the effects of those before it: a new user started by one command is found by the next, an event
/// repeated within the group is a duplicate, a name activated by one takes the slot for the others.
/// State is read in one round trip for the whole group when the node knows where its users' timelines are
/// (<see cref="KnownTimelineIds"/>), in two otherwise, whatever its size.
/// </summary>
public static class TrackingBatch
{
    public static async Task<IReadOnlyList<IReadOnlyList<TrackOutcome>>> StageAsync(
        IDocumentSession session, IReadOnlyList<TrackingWork> work, TrackingRules rules, EventNameCatalogCache catalogs, KnownTimelineIds? known,
        CancellationToken cancellation)
    {
        var workspace = session.TenantId;
        var commands = work.SelectMany(w => w.Commands).ToList();

        // Everything is read inside the group's transaction (the session is on it). With the node's guess of which
        // timelines the commands land on, their streams are locked (StreamLocks) and their occurrence keys read in the
        // same round trip as the users: no writer can change those streams before the commit, so the keys and users
        // read after the locks stay true, and concurrent groups queue on the same rows in the same order.
        var guess = known is null ? null : Guess(workspace, commands, known, catalogs);
        var batch = session.CreateBatchQuery();
        var guessedLocks = guess is null ? null : StreamLocks.Lock(batch, workspace, guess.Streams);
        var guessedKeys = guess is null ? null : OccurrenceKeys.Find(batch, workspace, guess.Keys);
        var guessedCatalog = guess is { LocksCatalog: true } ? batch.Events.FetchForWriting<EventNameCatalog>(EventNameCatalog.StreamKey) : null;
        // The catalog fetched for writing is the one the rules see; otherwise this node's copy, read again only if it changed.
        var catalog = guessedCatalog is null ? catalogs.Read(batch, session) : async () => (await guessedCatalog).Aggregate ?? new EventNameCatalog();
        var loaded = Load(batch, commands, catalog);
        await batch.Execute(cancellation);

        var state = await loaded();
        var catalogWriter = guessedCatalog is null ? null : await guessedCatalog;

        if (known is not null)
        {
            foreach (var command in commands)
            {
                var stored = state.Known(command.Who);
                known.Learn(workspace, command.Who, stored.ByUserId, stored.ByEmail);
            }
        }

        // First pass on a scratch copy: which existing timelines the commands land on, so that their
        // occurrence keys (and any identity change, and any new name) are read in one go.
        var scratch = state.Clone();
        var keys = new List<(string Stream, string Key)>();
        var landing = new HashSet<string>(StringComparer.Ordinal);
        var identityChanged = new HashSet<string>(StringComparer.Ordinal);
        var newNames = false;
        foreach (var command in commands)
        {
            var resolved = scratch.Resolve(workspace, command.Who);
            if (resolved is { IsSuccess: true, Value: var r })
            {
                scratch.Remember(r!.Timeline);
                if (state.Loaded(r.Timeline.Id) is { } stored)
                {
                    landing.Add(stored.Id);
                    keys.Add((stored.Id, command.What.KeyFor(stored.Id)));
                    if (r.IdentityEvents.Count > 0 || ChangesIdentity(stored, command.Who))
                    {
                        identityChanged.Add(stored.Id);
                    }
                }
            }

            newNames |= !state.Catalog.Knows(command.What.Name);
        }

        // What the guess did not cover is read now. More locks may be taken only while none is held, so that every
        // group takes its locks in one order; a wrong guess that already holds some is decided again without one.
        var locked = new HashSet<string>(guessedLocks is null ? [] : await guessedLocks, StringComparer.Ordinal);
        var needsCatalog = newNames && catalogWriter is null;
        var unlocked = landing.Where(id => !locked.Contains(id)).ToList();
        if ((unlocked.Count > 0 || needsCatalog) && (locked.Count > 0 || catalogWriter is not null))
        {
            throw new StaleTimelineGuessException();
        }

        // Keys read with the guess are true only for the streams that were locked before they were read.
        state.Recorded.UnionWith(guessedKeys is null ? [] : await guessedKeys);
        var readUnderLock = new HashSet<string>(guess?.Keys ?? [], StringComparer.Ordinal);
        var missingKeys = keys.Where(k => !(locked.Contains(k.Stream) && readUnderLock.Contains(k.Key))).Select(k => k.Key).Distinct().ToList();
        batch = session.CreateBatchQuery();
        var locks = StreamLocks.Lock(batch, workspace, needsCatalog ? [.. unlocked, EventNameCatalog.StreamKey] : unlocked);
        var found = OccurrenceKeys.Find(batch, workspace, missingKeys);
        var catalogStream = needsCatalog ? batch.Events.FetchForWriting<EventNameCatalog>(EventNameCatalog.StreamKey) : null;
        var identityStreams = identityChanged.ToDictionary(id => id, id => batch.Events.FetchForWriting<UserTimeline>(id), StringComparer.Ordinal);
        if (unlocked.Count > 0 || needsCatalog || missingKeys.Count > 0 || identityStreams.Count > 0)
        {
            await batch.Execute(cancellation);
        }

        locked.UnionWith(await locks);
        StreamLocks.Require(landing, locked);
        state.Locked.UnionWith(locked);
        state.Recorded.UnionWith(await found);
        if (catalogStream is not null)
        {
            catalogWriter = await catalogStream;
            state.Catalog = catalogWriter.Aggregate ?? new EventNameCatalog();
        }

        if (catalogWriter is not null)
        {
            // This group may change the catalog's row: the node reads it again next time (EventNameCatalogCache.Forget).
            catalogs.Forget(workspace);
        }

        foreach (var (id, stream) in identityStreams)
        {
            var writer = await stream;
            if (writer.Aggregate != state.Loaded(id))
            {
                throw new WriteConflictException($"Timeline {id} changed while the group was decided");
            }

            state.Writers[id] = writer;
        }

        // Second pass: the decisions that count, work by work; an atomic work that fails leaves no trace.
        var results = new List<IReadOnlyList<TrackOutcome>>(work.Count);
        foreach (var item in work)
        {
            var checkpoint = item.Atomic ? state.Clone() : null;
            var outcomes = item.Commands.Select(command => Decide(workspace, command, state, rules)).ToList();
            if (checkpoint is not null && outcomes.Any(o => o.Rejection is not null))
            {
                state = checkpoint;
                outcomes = [.. outcomes.Select(o => o.Rejection is null ? TrackOutcome.NotStored : o)];
            }

            results.Add(outcomes);
        }

        foreach (var started in state.Started())
        {
            known?.Learn(workspace, started);
        }

        Stage(session, state, catalogWriter);
        return results;
    }

    /// <summary>
    /// Decides a group on what this node already knows, without reading anything: every command names its user by user_id
    /// and/or email, each known to the node (<see cref="KnownTimelineIds"/>) with the identity the command gives, and every
    /// name is in the node's copy of the catalog. The events and their keys are staged after a
    /// <see cref="KnownStateCheck"/> that fails the transaction if any of that changed, and occurrence keys are not read:
    /// an event already stored fails the insert of its key. Either failure means the group is decided again on what it
    /// reads, so the outcome is the same as if it had read, in one round trip instead of two. Null, with nothing staged,
    /// when the group needs what only a read can tell (a new user or name, an identity change, a refusal).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<TrackOutcome>>? StageKnown(
        IDocumentSession session, IReadOnlyList<TrackingWork> work, TrackingRules rules, EventNameCatalogCache catalogs, KnownTimelineIds known)
    {
        var workspace = session.TenantId;
        if (catalogs.Current(workspace) is not { } catalog)
        {
            return null;
        }

        var timelines = new List<UserTimeline>();
        foreach (var command in work.SelectMany(w => w.Commands))
        {
            if (known.Timelines(workspace, command.Who) is not { } found || !catalog.Catalog.Knows(command.What.Name))
            {
                return null;
            }

            timelines.AddRange(new[] { found.ByUserId, found.ByEmail }.OfType<UserTimeline>());
        }

        var state = new BatchState(timelines, catalog.Catalog);
        state.Locked.UnionWith(timelines.Select(t => t.Id));
        var results = new List<IReadOnlyList<TrackOutcome>>(work.Count);
        foreach (var item in work)
        {
            var outcomes = new List<TrackOutcome>(item.Commands.Count);
            foreach (var command in item.Commands)
            {
                if (state.Resolve(workspace, command.Who) is not { IsSuccess: true, Value: { IsNew: false, IdentityEvents.Count: 0 } })
                {
                    return null;
                }

                var outcome = Decide(workspace, command, state, rules);
                if (outcome.Rejection is not null || state.Activations.Count > 0)
                {
                    return null;
                }

                outcomes.Add(outcome);
            }

            results.Add(outcomes);
        }

        KnownStateCheck.Require(session, timelines, catalog.Version);
        Stage(session, state, null);
        return results;
    }

    /// <summary>The streams to lock and keys to read with the users, from the node's guess of where the commands land.</summary>
    private static TimelineGuess? Guess(string workspace, IReadOnlyList<TrackEvent> commands, KnownTimelineIds known, EventNameCatalogCache catalogs)
    {
        var streams = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<string>(commands.Count);
        var locksCatalog = false;
        foreach (var command in commands)
        {
            if (known.Guess(workspace, command.Who) is { } id)
            {
                streams.Add(id);
                keys.Add(command.What.KeyFor(id));
            }

            locksCatalog |= catalogs.Knows(workspace, command.What.Name) == false;
        }

        return streams.Count == 0 && !locksCatalog ? null
            : new TimelineGuess(locksCatalog ? [.. streams, EventNameCatalog.StreamKey] : streams, keys, locksCatalog);
    }

    private sealed record TimelineGuess(IReadOnlyCollection<string> Streams, IReadOnlyCollection<string> Keys, bool LocksCatalog);

    /// <summary>Whether a command could change a stored timeline's identity, whatever the group does before it.</summary>
    private static bool ChangesIdentity(UserTimeline stored, UserReference who) =>
        (who.UserId is not null && who.UserId != stored.UserId)
        || (who.Email is not null && UserReference.EmailKey(who.Email) != stored.EmailKey);

    private static TrackOutcome Decide(string workspace, TrackEvent command, BatchState state, TrackingRules rules)
    {
        var resolved = state.Resolve(workspace, command.Who);
        if (!resolved.IsSuccess)
        {
            return TrackOutcome.Refused(resolved.Rejection!);
        }

        var (timeline, isNew, identityEvents) = resolved.Value!;
        var key = command.What.KeyFor(timeline.Id);
        var decision = timeline.Track(workspace, command.What, alreadyRecorded: !isNew && state.Recorded.Contains(key));
        if (decision.IsDuplicate)
        {
            return TrackOutcome.Duplicate;
        }

        if (identityEvents.Count > 0 && state.Existing(timeline.Id) && !state.HasWriter(timeline.Id))
        {
            // Unreachable unless the first pass missed an identity change: never append one unchecked.
            throw new WriteConflictException($"Identity of timeline {timeline.Id} changed without its stream fetched for writing");
        }

        var admission = state.Catalog.Admit(workspace, command.What.Name, rules.ActiveEventNameCap);
        if (!admission.IsSuccess)
        {
            return TrackOutcome.Refused(admission.Rejection!);
        }

        if (admission.Value is { } activated)
        {
            state.Catalog = state.Catalog.Apply(activated);
            state.Activations.Add(activated);
        }

        state.Remember(timeline);
        state.Record(timeline.Id, [.. identityEvents, decision.Tracked!], key);
        return TrackOutcome.Accepted;
    }

    private static void Stage(IDocumentSession session, BatchState state, IEventStream<EventNameCatalog>? catalogWriter)
    {
        var plain = new List<(string Timeline, IReadOnlyList<EventTracked> Events)>();
        // New users in the order of their identity, so that two nodes creating the same users at once wait on the
        // first one's unique keys in the same order (one of them is then decided again), instead of deadlocking.
        foreach (var (id, events) in state.Pending.OrderBy(p => p.Value[0] is UserTimelineStarted started ? started.UserId ?? UserReference.EmailKey(started.Email) : "", StringComparer.Ordinal))
        {
            if (!state.Existing(id))
            {
                session.Events.StartStream<UserTimeline>(id, events);
            }
            else if (state.Writers.TryGetValue(id, out var writer))
            {
                writer.AppendMany(events);
            }
            else
            {
                // Plain tracking changes no state the rules read: no version check, so concurrent writers of
                // one user never conflict; the occurrence keys below keep every event unique.
                plain.Add((id, [.. events.Cast<EventTracked>()]));
            }
        }

        // A timeline erased since it was read must not get its stream back (ADR 0010). The stream locks already hold
        // erasure off the streams the first pass found; a stream only the decisions reached (an identity a refused
        // command would have changed) gets the guard, queued before the appends so that it fails as a conflict.
        ErasedTimelineGuard.Require(session, state.Pending.Keys.Where(id => state.Existing(id) && !state.Locked.Contains(id)));
        TrackedEventAppends.Queue(session, plain);

        OccurrenceKeys.Record(session, state.NewKeys);

        if (state.Activations.Count > 0)
        {
            (catalogWriter ?? throw new InvalidOperationException("A new name was admitted without the catalog fetched for writing"))
                .AppendMany(state.Activations);
        }
    }

    /// <summary>Queues the reads of the commands' users; the function gives the state, with the catalog, once the batch has run.</summary>
    private static Func<Task<BatchState>> Load(IBatchedQuery batch, IReadOnlyList<TrackEvent> commands, Func<Task<EventNameCatalog>> catalog)
    {
        var ids = commands.Select(c => c.Who.IntercomUserId).OfType<string>().Distinct().ToArray();
        var userIds = commands.Select(c => c.Who.UserId).OfType<string>().Distinct().ToArray();
        var emailKeys = commands.Select(c => UserReference.EmailKey(c.Who.Email)).OfType<string>().Distinct().ToArray();

        var byId = ids.Length == 0 ? null : batch.LoadMany<UserTimeline>().ById(ids);
        var byUserId = userIds.Length == 0 ? null : batch.Query<UserTimeline>().Where(t => t.UserId.IsOneOf(userIds)).ToList();
        var byEmail = emailKeys.Length == 0 ? null : batch.Query<UserTimeline>().Where(t => t.EmailKey.IsOneOf(emailKeys)).ToList();
        return async () =>
        {
            var timelines = new List<UserTimeline>();
            foreach (var found in new[] { byId, byUserId, byEmail })
            {
                if (found is not null)
                {
                    timelines.AddRange(await found);
                }
            }

            return new BatchState(timelines, await catalog());
        };
    }

    /// <summary>What the rules see while a group is decided: the stored state plus the group's own effects so far.</summary>
    private sealed class BatchState
    {
        private readonly Dictionary<string, UserTimeline> loaded;
        private readonly Dictionary<string, UserTimeline> byId;
        private readonly Dictionary<string, string> idByUserId;
        private readonly Dictionary<string, string> idByEmailKey;

        public BatchState(IEnumerable<UserTimeline> timelines, EventNameCatalog catalog)
        {
            loaded = timelines.DistinctBy(t => t.Id).ToDictionary(t => t.Id, StringComparer.Ordinal);
            byId = new Dictionary<string, UserTimeline>(loaded, StringComparer.Ordinal);
            idByUserId = loaded.Values.Where(t => t.UserId is not null).ToDictionary(t => t.UserId!, t => t.Id, StringComparer.Ordinal);
            idByEmailKey = loaded.Values.Where(t => t.EmailKey is not null).ToDictionary(t => t.EmailKey!, t => t.Id, StringComparer.Ordinal);
            Catalog = catalog;
        }

        private BatchState(BatchState other)
        {
            loaded = other.loaded;
            byId = new(other.byId, StringComparer.Ordinal);
            idByUserId = new(other.idByUserId, StringComparer.Ordinal);
            idByEmailKey = new(other.idByEmailKey, StringComparer.Ordinal);
            Catalog = other.Catalog;
            Recorded = new(other.Recorded, StringComparer.Ordinal);
            NewKeys = [.. other.NewKeys];
            Activations = [.. other.Activations];
            Pending = other.Pending.ToDictionary(p => p.Key, p => new List<object>(p.Value), StringComparer.Ordinal);
            Writers = other.Writers;
            Locked = other.Locked;
        }

        public EventNameCatalog Catalog { get; set; }

        /// <summary>Occurrence keys known to be stored, read from the database or recorded by this group.</summary>
        public HashSet<string> Recorded { get; } = new(StringComparer.Ordinal);

        public List<string> NewKeys { get; } = [];

        public List<EventNameActivated> Activations { get; } = [];

        /// <summary>Events to append per timeline, in decision order.</summary>
        public Dictionary<string, List<object>> Pending { get; } = new(StringComparer.Ordinal);

        /// <summary>Existing streams locked for this transaction (<see cref="StreamLocks"/>): erasure cannot touch them before it commits.</summary>
        public HashSet<string> Locked { get; init; } = new(StringComparer.Ordinal);

        /// <summary>Stored timelines whose identity the group changes, fetched for writing (version-checked).</summary>
        public Dictionary<string, IEventStream<UserTimeline>> Writers { get; init; } = new(StringComparer.Ordinal);

        public bool Existing(string id) => loaded.ContainsKey(id);

        /// <summary>The timelines the group starts, as the group leaves them.</summary>
        public IEnumerable<UserTimeline> Started() => Pending.Keys.Where(id => !Existing(id)).Select(id => byId[id]);

        public bool HasWriter(string id) => Writers.ContainsKey(id);

        public UserTimeline? Loaded(string id) => loaded.GetValueOrDefault(id);

        public BatchState Clone() => new(this);

        /// <summary>Resolves a user against the state so far; changes nothing (see <see cref="Remember"/>).</summary>
        public Result<ResolvedTimeline> Resolve(string workspace, UserReference who) => UserTimeline.Resolve(workspace, who, Known(who), NewTimelineId);

        /// <summary>The timelines each identifier of <paramref name="who"/> points to in the state so far.</summary>
        public KnownTimelines Known(UserReference who) => new(
            who.IntercomUserId is null ? null : byId.GetValueOrDefault(who.IntercomUserId),
            who.UserId is not null && idByUserId.TryGetValue(who.UserId, out var a) ? byId[a] : null,
            UserReference.EmailKey(who.Email) is { } key && idByEmailKey.TryGetValue(key, out var b) ? byId[b] : null);

        /// <summary>Makes a timeline as a command left it visible to the commands after it.</summary>
        public void Remember(UserTimeline timeline)
        {
            if (byId.GetValueOrDefault(timeline.Id)?.EmailKey is { } oldKey && oldKey != timeline.EmailKey)
            {
                idByEmailKey.Remove(oldKey);
            }

            byId[timeline.Id] = timeline;
            if (timeline.UserId is not null)
            {
                idByUserId[timeline.UserId] = timeline.Id;
            }

            if (timeline.EmailKey is not null)
            {
                idByEmailKey[timeline.EmailKey] = timeline.Id;
            }
        }

        public void Record(string timelineId, IReadOnlyList<object> events, string key)
        {
            if (!Pending.TryGetValue(timelineId, out var list))
            {
                Pending[timelineId] = list = [];
            }

            list.AddRange(events);
            Recorded.Add(key);
            NewKeys.Add(key);
        }

        private static string NewTimelineId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
    }
}

/// <summary>A group's guess of its users' timelines was wrong while it held locks: the group is decided again without a guess.</summary>
public sealed class StaleTimelineGuessException() : Exception("The node's guess of the group's timelines was out of date");
