using Marten;
using Marten.Services;
using Npgsql;

namespace EventStore.Api.Persistence;

/// <summary>
/// What Marten logs of the statements it runs. Unlike Marten's default logger, a failure that is a write conflict
/// (which the service resolves by deciding again, and counts in <c>eventstore.write.conflicts</c>) is logged at
/// Debug, not as an Error per statement; a failure to reach the database is a Warning (the request's own 503 is
/// logged where it is answered); and parameter values, which carry personal data, are never logged.
/// </summary>
public sealed partial class MartenFailureLog(ILogger logger) : IMartenLogger, IMartenSessionLogger
{
    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    public void SchemaChange(string sql) => LogSchemaChange(logger, sql);

    public void LogSuccess(NpgsqlCommand command)
    {
    }

    public void LogSuccess(NpgsqlBatch batch)
    {
    }

    public void LogFailure(NpgsqlCommand command, Exception ex) => Failed(ex, command.CommandText);

    public void LogFailure(NpgsqlBatch batch, Exception ex) =>
        Failed(ex, string.Join(Environment.NewLine, batch.BatchCommands.Cast<NpgsqlBatchCommand>().Select(c => c.CommandText)));

    public void LogFailure(Exception ex, string message) => Failed(ex, message);

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
    {
    }

    public void OnBeforeExecute(NpgsqlCommand command)
    {
    }

    public void OnBeforeExecute(NpgsqlBatch batch)
    {
    }

    private void Failed(Exception exception, string what)
    {
        if (WriteConflicts.KindOf(exception) is { } kind)
        {
            LogConflict(logger, kind, what);
        }
        else if (WriteConflicts.IsDatabaseUnavailable(exception))
        {
            LogUnavailable(logger, exception, what);
        }
        else
        {
            LogError(logger, exception, what);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Executed schema update SQL:\n{Sql}")]
    private static partial void LogSchemaChange(ILogger logger, string sql);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Write conflict ({Kind}), to be decided again:\n{Sql}")]
    private static partial void LogConflict(ILogger logger, string kind, string sql);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database could not be reached executing:\n{Sql}")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string sql);

    [LoggerMessage(Level = LogLevel.Error, Message = "Marten failed executing:\n{Sql}")]
    private static partial void LogError(ILogger logger, Exception exception, string sql);
}
