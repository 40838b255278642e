using EventStore.Api.Persistence;
using JasperFx;
using Npgsql;

namespace EventStore.Api.Tests.Persistence;

/// <summary>
/// What two writers raced on, as <c>eventstore.write.conflicts</c> reports it (its <c>kind</c>), and what is no
/// conflict at all (a failure the service must not retry).
/// </summary>
public sealed class when_classifying_write_conflicts
{
    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation, "pkey_occurrence_keys_tenant_id_id", "duplicate_event")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "uq_timeline_user_id", "identity")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "uq_timeline_email", "identity")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "pkey_mt_streams_tenant_id_id", "new_stream")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "pk_mt_events_stream_and_version", "stream_version")]
    [InlineData(PostgresErrorCodes.UniqueViolation, "some_other_key", "unique_key")]
    [InlineData(PostgresErrorCodes.DeadlockDetected, null, "deadlock")]
    [InlineData(PostgresErrorCodes.SerializationFailure, null, "serialization")]
    [InlineData("MT003", null, "stream_version")]
    public void names_a_postgresql_conflict_by_what_was_raced_on(string sqlState, string? constraint, string kind) =>
        WriteConflicts.KindOf(Postgres(sqlState, constraint)).ShouldBe(kind);

    [Fact]
    public void reads_the_postgresql_error_inside_martens_exception() =>
        WriteConflicts.KindOf(new DocumentAlreadyExistsException(Postgres(PostgresErrorCodes.UniqueViolation, "uq_timeline_email"), typeof(object), "id"))
            .ShouldBe("identity", "the constraint says more than Marten's wrapper");

    [Fact]
    public void names_a_version_check_that_failed_a_stream_version_conflict() =>
        WriteConflicts.KindOf(new WriteConflictException("Timeline changed while the group was decided")).ShouldBe("stream_version");

    [Fact]
    public void is_no_conflict_for_a_broken_statement() =>
        WriteConflicts.KindOf(Postgres(PostgresErrorCodes.SyntaxError, null)).ShouldBeNull("a bug must fail, not be retried");

    [Fact]
    public void is_no_conflict_for_an_unreachable_database() =>
        WriteConflicts.KindOf(new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111))).ShouldBeNull();

    private static PostgresException Postgres(string sqlState, string? constraint) =>
        new("test", "ERROR", "ERROR", sqlState, constraintName: constraint);
}
