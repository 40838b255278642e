using EventStore.Api.Browser;
using EventStore.Api.Operations;
using EventStore.Api.Privacy;
using EventStore.Api.Protection;
using EventStore.Api.Tracking;
using EventStore.Domain.Tracking;

namespace EventStore.Api.Hosting;

/// <summary>A class of settings bound to one configuration section.</summary>
public abstract record SettingsSection(string Path, Type Type)
{
    public abstract void Bind(IServiceCollection services);
}

/// <summary>Settings <typeparamref name="T"/> read from the section at <see cref="SettingsSection.Path"/> (as <c>IOptions&lt;T&gt;</c>).</summary>
public sealed record SettingsSection<T>(string Path) : SettingsSection(Path, typeof(T))
    where T : class
{
    public override void Bind(IServiceCollection services) => services.AddOptions<T>().BindConfiguration(Path);
}

/// <summary>
/// Every section of the service's own settings, in one list: bound here for <c>IOptions&lt;T&gt;</c>, and checked before
/// the service starts (<see cref="StartupCheck"/>: formats, data-annotation ranges, unknown keys). A new settings class
/// belongs in this list, with its limits as <c>[Range]</c> attributes on its properties.
/// </summary>
public static class ServiceSettings
{
    public static readonly IReadOnlyList<SettingsSection> Sections =
    [
        new SettingsSection<TrackingRules>("Tracking"),
        new SettingsSection<GroupCommitOptions>("Tracking:GroupCommit"),
        new SettingsSection<BulkOptions>("Tracking:Bulk"),
        new SettingsSection<RateLimitOptions>("RateLimits"),
        new SettingsSection<IdempotencyOptions>("Idempotency"),
        new SettingsSection<ExportOptions>("Privacy:Export"),
        new SettingsSection<BrowserLimits>("Browser"),
        new SettingsSection<RebuildOptions>("Operations:Rebuild"),
        new SettingsSection<LeadershipOptions>("Leadership"),
        new SettingsSection<Segments.SegmentIndexOptions>("Segments:Index"),
    ];

    public static IServiceCollection AddServiceSettings(this IServiceCollection services)
    {
        foreach (var section in Sections)
        {
            section.Bind(services);
        }

        return services;
    }
}
