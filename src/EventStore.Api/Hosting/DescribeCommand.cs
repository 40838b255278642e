using EventStore.Api.Operations;
using JasperFx.CommandLine;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;

namespace EventStore.Api.Hosting;

/// <summary>
/// <c>describe</c>: version, environment and every setting in effect with where it comes from, for an operator to
/// check or paste into a ticket. Secrets are redacted (<see cref="SecretSettings"/>); the process's other environment
/// variables (PATH, cloud credentials, …) are not the service's configuration and are left out.
/// </summary>
[Description("Prints the version, the environment and the settings in effect, with secrets redacted", Name = "describe")]
public sealed class DescribeCommand : ServiceCommand<ServiceInput>
{
    /// <summary>Host settings shown in the heading instead.</summary>
    private static readonly string[] Heading = ["environment", "contentRoot", "applicationName"];

    protected override Task<bool> Execute(ServiceInput input, IServiceProvider services)
    {
        var environment = services.GetRequiredService<IHostEnvironment>();
        var configuration = (IConfigurationRoot)services.GetRequiredService<IConfiguration>();
        Console.WriteLine($"EventStore.Api {typeof(DescribeCommand).Assembly.GetName().Version}, .NET {Environment.Version}, environment {environment.EnvironmentName}");
        Console.WriteLine($"Content root: {environment.ContentRootPath}");
        Console.WriteLine();
        Console.WriteLine($"Settings in effect (secrets shown as {SecretSettings.Mask}; settings not listed take the defaults in README.md):");
        var settings = configuration.AsEnumerable()
            .Where(setting => setting.Value is not null && !Heading.Contains(setting.Key, StringComparer.OrdinalIgnoreCase))
            .Select(setting => (setting.Key, Value: setting.Value!, Source: SourceOf(configuration, setting.Key)))
            .Where(setting => IsServiceSetting(setting.Key, setting.Source))
            .OrderBy(setting => setting.Key, StringComparer.OrdinalIgnoreCase)
            .ToList();
        foreach (var (key, value, source) in settings)
        {
            Console.WriteLine($"  {key} = {SecretSettings.Printable(key, value)}  ({Describe(source)})");
        }

        Console.WriteLine();
        Console.WriteLine($"Projections (all inline): {string.Join(", ", ReadModels.All.Select(model => model.Name))}");
        return Task.FromResult(true);
    }

    /// <summary>The provider whose value wins: the last one that has the key.</summary>
    private static IConfigurationProvider? SourceOf(IConfigurationRoot configuration, string key) =>
        configuration.Providers.LastOrDefault(provider => provider.TryGet(key, out _));

    /// <summary>
    /// Environment variables count when they are written for the service (<c>Section__Key</c>, <c>ASPNETCORE_URLS</c>,
    /// the standard <c>OTEL_*</c>); files, the command line and the service's own defaults always do.
    /// </summary>
    private static bool IsServiceSetting(string key, IConfigurationProvider? source) =>
        source is not EnvironmentVariablesConfigurationProvider
        || key.Contains(':', StringComparison.Ordinal)
        || key.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)
        || key.Equals("urls", StringComparison.OrdinalIgnoreCase);

    private static string Describe(IConfigurationProvider? source) => source switch
    {
        JsonConfigurationProvider json => json.Source.Path ?? "a JSON file",
        EnvironmentVariablesConfigurationProvider => "environment",
        CommandLineConfigurationProvider => "command line",
        MemoryConfigurationProvider => "built in",
        null => "unknown",
        var other => other.GetType().Name,
    };
}
