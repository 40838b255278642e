namespace EventStore.Api.Tests.Infrastructure;

/// <summary>Where to run the service as a process of its own, the way an operator does; and the checkout it is built from.</summary>
public static class ServiceBuild
{
    /// <summary>
    /// The service's own build output (same configuration and framework as the tests; the project reference builds
    /// it). Not the test output folder: JasperFx looks for commands and extensions in every assembly beside the
    /// executable, and the test assemblies there would not load in the service's process.
    /// </summary>
    public static string Directory()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        return Path.Combine(RepositoryRoot(), "src", "EventStore.Api", "bin", configuration, framework);
    }

    /// <summary>The checkout's root (where EventStore.sln is), for tests that read what the repository documents.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventStore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No EventStore.sln above {AppContext.BaseDirectory}");
    }
}
