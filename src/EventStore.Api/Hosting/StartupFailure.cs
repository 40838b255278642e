using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventStore.Api.Hosting;

/// <summary>
/// Why the service (or a command) could not start, in one line an operator can act on, for the causes that are not
/// bugs: a setting the binder cannot read, a port already taken, a database that cannot be reached or refuses the
/// login (authentication, missing database, too many connections). Anything else is left to surface with its stack trace.
/// </summary>
public sealed record StartupFailure(string Message, int ExitCode)
{
    public static StartupFailure? Describe(Exception exception, IConfiguration configuration)
    {
        foreach (var cause in Causes(exception))
        {
            switch (cause)
            {
                case OptionsValidationException invalid:
                    return new StartupFailure(string.Join(Environment.NewLine, invalid.Failures), StartupCheck.ConfigurationError);
                case InvalidOperationException binding when StartupCheck.Describe(binding, configuration) is { } line:
                    return new StartupFailure(line, StartupCheck.ConfigurationError);
                case IOException { InnerException: AddressInUseException } taken:
                    return new StartupFailure(
                        $"{taken.Message.TrimEnd('.')}: another process listens there. Stop it, or listen elsewhere with --urls "
                        + "(e.g. --urls http://localhost:5081) or ASPNETCORE_URLS.", 1);
                case SocketException or NpgsqlException and not PostgresException:
                case PostgresException { SqlState: var state } when state.StartsWith("28", StringComparison.Ordinal) || state is "3D000" or "57P03" or "53300":
                    return new StartupFailure($"Cannot use PostgreSQL at {Server(configuration)} (ConnectionStrings:Postgres): {Innermost(cause).Message}", 1);
            }
        }

        return null;
    }

    private static IEnumerable<Exception> Causes(Exception exception)
    {
        for (Exception? cause = exception; cause is not null; cause = cause.InnerException)
        {
            if (cause is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Causes))
                {
                    yield return inner;
                }

                yield break;
            }

            yield return cause;
        }
    }

    private static Exception Innermost(Exception exception) => exception.InnerException is { } inner and not AggregateException ? Innermost(inner) : exception;

    /// <summary>Where the connection string points, without anything secret.</summary>
    private static string Server(IConfiguration configuration)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(configuration["ConnectionStrings:Postgres"]);
            return $"{builder.Host}:{builder.Port}, database {builder.Database}, user {builder.Username}";
        }
        catch (ArgumentException)
        {
            return "the configured server";
        }
    }
}
