using JasperFx.CommandLine;

namespace EventStore.Api.Hosting;

/// <summary>The input of a service command: the host it runs against is the service's own, already built.</summary>
public class ServiceInput : IHostBuilderInput
{
    [IgnoreOnCommandLine]
    public IHostBuilder HostBuilder { get; set; } = null!;
}

/// <summary>
/// A command of the service (<see cref="ServiceCommandLine"/>): runs against the service's host (same configuration,
/// same database), which it disposes at the end (stopping a private development PostgreSQL it started). A failure
/// with a known cause, such as an unreachable database, is one line on standard error and exit code 1.
/// </summary>
public abstract class ServiceCommand<TInput> : JasperFxAsyncCommand<TInput>
    where TInput : ServiceInput
{
    public sealed override async Task<bool> Execute(TInput input)
    {
        var host = input.HostBuilder.Build();
        try
        {
            return await Execute(input, host.Services);
        }
        catch (Exception e) when (StartupFailure.Describe(e, host.Services.GetRequiredService<IConfiguration>()) is { } failure)
        {
            return Fail(failure.Message);
        }
        finally
        {
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }

    protected abstract Task<bool> Execute(TInput input, IServiceProvider services);

    protected static bool Fail(string message)
    {
        Console.Error.WriteLine(message);
        return false;
    }
}

/// <summary>Hands the service's already built host to a command (the command line has no host to configure).</summary>
internal sealed class BuiltHost(IHost host) : IHostBuilder
{
    private const string Built = "The service's host is already built: set this with configuration (appsettings.json, environment variables) instead.";

    public IDictionary<object, object> Properties { get; } = new Dictionary<object, object>();

    public IHost Build() => host;

    public IHostBuilder ConfigureHostConfiguration(Action<IConfigurationBuilder> configureDelegate) => throw new NotSupportedException(Built);

    public IHostBuilder ConfigureAppConfiguration(Action<HostBuilderContext, IConfigurationBuilder> configureDelegate) => throw new NotSupportedException(Built);

    public IHostBuilder ConfigureServices(Action<HostBuilderContext, IServiceCollection> configureDelegate) => throw new NotSupportedException(Built);

    public IHostBuilder UseServiceProviderFactory<TContainerBuilder>(IServiceProviderFactory<TContainerBuilder> factory)
        where TContainerBuilder : notnull => throw new NotSupportedException(Built);

    public IHostBuilder UseServiceProviderFactory<TContainerBuilder>(Func<HostBuilderContext, IServiceProviderFactory<TContainerBuilder>> factory)
        where TContainerBuilder : notnull => throw new NotSupportedException(Built);

    public IHostBuilder ConfigureContainer<TContainerBuilder>(Action<HostBuilderContext, TContainerBuilder> configureDelegate) => throw new NotSupportedException(Built);
}
