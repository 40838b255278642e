using EventStore.Api.Operations;
using EventStore.Api.Tracking;
using EventStore.Domain.EventNames;
using EventStore.Domain.Timelines;
using JasperFx.Events;
using JasperFx.Events.Projections;
using JasperFx.MultiTenancy;
using Marten;
using Marten.Events.Aggregation;
using Marten.Schema.Indexing.Unique;
using Weasel.Core;

namespace EventStore.Api.Persistence;

/// <summary>
/// How the event store is laid out in PostgreSQL: string stream keys (one stream per user timeline, one
/// per workspace event-name catalog), conjoined tenancy (one tenant per workspace, every table carries
/// tenant_id), and the inline snapshots the write-side rules read.
/// </summary>
public static class EventStoreSchema
{
    public const string SchemaName = "eventstore";

    /// <summary>A table of our own read models, in the event store's schema.</summary>
#pragma warning disable CS0618 // the replacement needs an IdentifierUsage Weasel does not document yet; our names are plain lower case
    public static Weasel.Postgresql.PostgresqlObjectName TableNamed(string name) => new(SchemaName, name);
#pragma warning restore CS0618

    public static void Configure(StoreOptions options, Npgsql.NpgsqlDataSource dataSource)
    {
        options.Connection(dataSource);
        options.DatabaseSchemaName = SchemaName;
        options.UseSystemTextJsonForSerialization(configure: json =>
            // jsonb reorders keys, so a type discriminator is not necessarily the first property read back.
            json.AllowOutOfOrderMetadataProperties = true);

        options.Events.StreamIdentity = StreamIdentity.AsString;
        options.Events.TenancyStyle = TenancyStyle.Conjoined;
        options.Policies.AllDocumentsAreMultiTenanted();

        options.Projections.Add<UserTimelineProjection>(ProjectionLifecycle.Inline);
        options.Projections.Add<EventNameCatalogProjection>(ProjectionLifecycle.Inline);
        // Set-based SQL projections into tables of our own (Operations/ReadModels.cs), each defined in its feature folder.
        foreach (var model in ReadModels.Tables)
        {
            options.Projections.Add(model.Projection, ProjectionLifecycle.Inline, model.Name,
                rebuild => rebuild.DeleteDataInTableOnTeardown(model.QualifiedTable));
            options.Storage.ExtendedSchemaObjects.Add(model.Definition());
        }

        // Identity lookups are index-backed and unique per workspace: one user_id, one email per timeline.
        options.Schema.For<UserTimeline>()
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, "uq_timeline_user_id", TenancyScope.PerTenant, t => t.UserId!)
            .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, "uq_timeline_email", TenancyScope.PerTenant, t => t.EmailKey!);
        options.Storage.ExtendedSchemaObjects.Add(OccurrenceKeys.Definition());
        options.Storage.ExtendedSchemaObjects.Add(ServiceSecrets.Definition());
        options.Storage.ExtendedSchemaObjects.Add(EventStore.Api.Protection.IdempotencyKeys.Definition());
        options.Storage.ExtendedSchemaObjects.Add(EventStore.Api.Privacy.ErasedTimelineGuard.Definition());
        options.Storage.ExtendedSchemaObjects.Add(EventStore.Api.Tracking.KnownStateCheck.Definition());
        options.Storage.ExtendedSchemaObjects.Add(EventStore.Api.Workspaces.IssuedTokens.Definition());
        options.Storage.ExtendedSchemaObjects.Add(EventStore.Api.Operations.ProjectionRebuilds.Definition());
    }
}

/// <summary>Keeps the <see cref="UserTimeline"/> snapshot in step with its stream, in the same transaction.</summary>
public sealed partial class UserTimelineProjection : SingleStreamProjection<UserTimeline, string>
{
    public UserTimelineProjection() => Name = nameof(UserTimeline);

    public static UserTimeline Create(UserTimelineStarted started) => UserTimeline.Create(started);

    public static UserTimeline Apply(UserIdAttached attached, UserTimeline timeline) => timeline.Apply(attached);

    public static UserTimeline Apply(EmailAttached attached, UserTimeline timeline) => timeline.Apply(attached);
}

/// <summary>Keeps each workspace's <see cref="EventNameCatalog"/> snapshot in step with its stream.</summary>
public sealed partial class EventNameCatalogProjection : SingleStreamProjection<EventNameCatalog, string>
{
    public EventNameCatalogProjection() => Name = nameof(EventNameCatalog);

    public static EventNameCatalog Create(EventNameActivated activated) => EventNameCatalog.Create(activated);

    public static EventNameCatalog Apply(EventNameActivated activated, EventNameCatalog catalog) => catalog.Apply(activated);

    public static EventNameCatalog Apply(EventNameDescribed described, EventNameCatalog catalog) => catalog.Apply(described);

    public static EventNameCatalog Apply(EventNameArchived archived, EventNameCatalog catalog) => catalog.Apply(archived);

    public static EventNameCatalog Apply(EventNameUnarchived unarchived, EventNameCatalog catalog) => catalog.Apply(unarchived);
}
