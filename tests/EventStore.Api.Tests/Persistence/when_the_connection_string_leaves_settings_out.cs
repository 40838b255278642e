using Npgsql;

namespace EventStore.Api.Tests.Persistence;

/// <summary>
/// What the service adds to <c>ConnectionStrings:Postgres</c> when the operator did not say: short timeouts (an
/// unreachable database answers 503 quickly) and prepared statements, with the values the README documents. What the
/// operator did say is kept.
/// </summary>
public sealed class when_the_connection_string_leaves_settings_out
{
    private const string Given = "Host=db.example.org;Database=events;Username=svc";

    [Fact]
    public void prepares_the_statements_it_repeats() =>
        new NpgsqlConnectionStringBuilder(ConnectionDefaults.Apply(Given)).MaxAutoPrepare
            .ShouldBe(100, "the README documents Max Auto Prepare=100: planning the same statements on every commit cost a fifth of PostgreSQL's time");

    [Theory]
    [InlineData("Max Auto Prepare=0")]
    [InlineData("MaxAutoPrepare=0")]
    [InlineData("max auto prepare=0")]
    public void keeps_prepared_statements_off_when_told(string setting) =>
        new NpgsqlConnectionStringBuilder(ConnectionDefaults.Apply($"{Given};{setting}")).MaxAutoPrepare
            .ShouldBe(0, "PgBouncer in transaction mode (before 1.21) needs prepared statements off");

    [Fact]
    public void sets_short_timeouts()
    {
        var applied = new NpgsqlConnectionStringBuilder(ConnectionDefaults.Apply(Given));

        applied.Timeout.ShouldBe(5, "the README documents Timeout=5");
        applied.CommandTimeout.ShouldBe(15, "the README documents Command Timeout=15");
    }

    [Fact]
    public void keeps_the_timeouts_it_was_given()
    {
        var applied = new NpgsqlConnectionStringBuilder(ConnectionDefaults.Apply($"{Given};Timeout=30;CommandTimeout=120"));

        applied.Timeout.ShouldBe(30);
        applied.CommandTimeout.ShouldBe(120);
    }
}
