using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using EventStore.Api.Telemetry;
using EventStore.Api.Workspaces;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EventStore.Api.Hosting;

/// <summary>
/// Settings the service cannot use stop it before anything starts (no database, no port), with one line per problem
/// that names the key and the format it expects, and exit code 78 (EX_CONFIG: a service manager can tell a
/// configuration error, which a restart will not mend, from a crash). Secrets are never printed (<see cref="SecretSettings"/>).
/// Keys under the service's sections that no setting reads are warned about once the service logs (a typo'd key
/// would otherwise be ignored in silence).
/// </summary>
public static partial class StartupCheck
{
    public const int ConfigurationError = 78;

    /// <summary>Checks <paramref name="builder"/>'s configuration; prints the problems to standard error and returns false when there are any.</summary>
    public static bool Passes(WebApplicationBuilder builder)
    {
        var problems = Problems(builder.Configuration, builder.Environment);
        foreach (var problem in problems)
        {
            Console.Error.WriteLine(problem);
        }

        return problems.Count == 0;
    }

    public static IReadOnlyList<string> Problems(IConfiguration configuration, IHostEnvironment environment)
    {
        var problems = new List<string>();
        foreach (var section in ServiceSettings.Sections)
        {
            problems.AddRange(SectionProblems(configuration, section.Path, section.Type));
        }

        problems.AddRange(SectionProblems(configuration, "Kestrel:Limits", typeof(KestrelServerLimits)));
        problems.AddRange(TelemetryProblems(configuration));
        problems.AddRange(ConnectionStringProblems(configuration, environment));
        problems.AddRange(AccessTokenProblems(configuration));
        return problems;
    }

    /// <summary>Keys under the service's sections that no setting reads: most likely typos.</summary>
    public static IEnumerable<string> UnknownKeys(IConfiguration configuration)
    {
        var paths = ServiceSettings.Sections.Select(section => section.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var section in ServiceSettings.Sections)
        {
            var properties = section.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var child in configuration.GetSection(section.Path).GetChildren())
            {
                if (!properties.Contains(child.Key) && !paths.Contains(child.Path))
                {
                    yield return child.Path;
                }
            }
        }
    }

    /// <summary>One line for a configuration value the binder could not convert (anywhere: options, Kestrel), or null.</summary>
    public static string? Describe(InvalidOperationException exception, IConfiguration configuration)
    {
        var match = BinderFailure().Match(exception.Message);
        if (!match.Success)
        {
            return null;
        }

        var key = match.Groups["key"].Value;
        return NotConvertible(key, configuration[key], Type.GetType(match.Groups["type"].Value));
    }

    private static IEnumerable<string> SectionProblems(IConfiguration configuration, string path, Type type)
    {
        var section = configuration.GetSection(path);
        if (!section.GetChildren().Any())
        {
            yield break;
        }

        var conversions = ConversionProblems(section, type).ToList();
        foreach (var problem in conversions)
        {
            yield return problem;
        }

        if (conversions.Count > 0)
        {
            yield break;
        }

        var settings = section.Get(type) ?? Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var value = property.GetValue(settings);
            foreach (var rule in property.GetCustomAttributes<ValidationAttribute>().Where(rule => !rule.IsValid(value)))
            {
                var key = $"{path}:{property.Name}";
                var shown = SecretSettings.Printable(key, configuration[key] ?? Convert.ToString(value, CultureInfo.InvariantCulture));
                yield return rule is RangeAttribute range
                    ? $"{key}: {shown} is out of range; expected from {range.Minimum} to {range.Maximum}."
                    : $"{key}: {shown} is not valid: {rule.FormatErrorMessage(property.Name)}";
            }
        }
    }

    /// <summary>Every configured value under <paramref name="section"/> that cannot be converted to its property's type.</summary>
    private static IEnumerable<string> ConversionProblems(IConfigurationSection section, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var child = section.GetSection(property.Name);
            var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (child.Value is { } value)
            {
                if (IsScalar(target) && property.CanWrite && !Converts(value, target))
                {
                    yield return NotConvertible(child.Path, value, target);
                }
            }
            else if (!IsScalar(target) && target.IsClass && !typeof(System.Collections.IEnumerable).IsAssignableFrom(target) && child.GetChildren().Any())
            {
                foreach (var problem in ConversionProblems(child, target))
                {
                    yield return problem;
                }
            }
        }
    }

    private static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
        || type == typeof(TimeSpan) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);

    /// <summary>What the configuration binder does with a value: the type's converter, in the invariant culture.</summary>
    private static bool Converts(string value, Type type)
    {
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string NotConvertible(string key, string? value, Type? type) =>
        $"{key}: '{SecretSettings.Printable(key, value)}' is not {Expected(type)}.";

    private static string Expected(Type? type) => (type is null ? null : Nullable.GetUnderlyingType(type) ?? type) switch
    {
        { } t when t == typeof(TimeSpan) => "a duration; expected [d.]hh:mm:ss, e.g. 1.00:00:00 for a day or 00:00:30 for 30 seconds",
        { } t when t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(uint) || t == typeof(ulong) || t == typeof(byte) =>
            "a whole number; expected digits only, e.g. 1000",
        { } t when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => "a number; expected e.g. 1.5",
        { } t when t == typeof(bool) => "true or false",
        { IsEnum: true } t => $"one of {string.Join(", ", Enum.GetNames(t))}",
        { } t when t == typeof(Uri) => "a URL; expected e.g. http://collector:4317",
        { } t => $"a valid {t.Name}",
        null => "a valid value",
    };

    private static IEnumerable<string> TelemetryProblems(IConfiguration configuration)
    {
        var problems = new List<string>();
        foreach (var check in new Action[] { () => TelemetrySetup.PrometheusSettings(configuration), () => TelemetrySetup.OtlpSettings(configuration), () => ManagementAddress.Ports(configuration) })
        {
            try
            {
                check();
            }
            catch (InvalidOperationException e)
            {
                problems.Add(Describe(e, configuration) ?? e.Message);
            }
        }

        return problems;
    }

    private static IEnumerable<string> ConnectionStringProblems(IConfiguration configuration, IHostEnvironment environment)
    {
        const string key = "ConnectionStrings:Postgres";
        var connectionString = configuration[key];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (environment.IsProduction())
            {
                yield return $"{key} is not set; Production needs it. Set it, e.g. ConnectionStrings__Postgres=\"Host=db;Database=eventstore;Username=eventstore;Password=...\".";
            }

            yield break;
        }

        string? problem = null;
        try
        {
            ConnectionDefaults.Apply(connectionString);
        }
        catch (ArgumentException e)
        {
            // Npgsql's message names the keyword it cannot read, never the value (which may hold the password).
            problem = $"{key} is not a valid Npgsql connection string ({e.Message}); expected e.g. Host=db;Database=eventstore;Username=eventstore;Password=...";
        }

        if (problem is not null)
        {
            yield return problem;
        }
    }

    private static IEnumerable<string> AccessTokenProblems(IConfiguration configuration)
    {
        var problems = new List<string>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        // Named by where they are (and whose they are), never by their value.
        void Token(string key, string owner, string? token)
        {
            if (string.IsNullOrWhiteSpace(token))
            {
                problems.Add($"{key} ({owner}) is empty; expected a secret token (e.g. from openssl rand -base64 32), or remove the key.");
            }
            else if (!owners.TryAdd(token, $"{key} ({owner})"))
            {
                problems.Add($"{key} ({owner}) is the same token as {owners[token]}; a token belongs to one workspace, or to the operators.");
            }
        }

        foreach (var workspace in configuration.GetSection("Workspaces").GetChildren())
        {
            var id = workspace["Id"] ?? "";
            if (!WorkspaceIds.IsValid(id))
            {
                problems.Add($"{workspace.Path}:Id: '{id}' is not a workspace id; expected 1 to 64 characters of a-z, 0-9, '-' and '_', e.g. acme.");
            }

            foreach (var token in workspace.GetSection("AccessTokens").GetChildren())
            {
                Token(token.Path, $"workspace '{id}'", token.Value);
            }
        }

        foreach (var token in configuration.GetSection("Admin:AccessTokens").GetChildren())
        {
            Token(token.Path, "the operators", token.Value);
        }

        if (problems.Count == 0)
        {
            // Whatever else AccessTokens refuses (its messages name the workspace, never a token).
            try
            {
                AccessTokens.FromConfiguration(configuration);
            }
            catch (InvalidOperationException e)
            {
                problems.Add(e.Message);
            }
        }

        return problems;
    }

    [GeneratedRegex(@"at '(?<key>[^']+)' to type '(?<type>[^']+)'\.$", RegexOptions.Singleline)]
    private static partial Regex BinderFailure();
}
