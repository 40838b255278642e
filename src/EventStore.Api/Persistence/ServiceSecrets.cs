using Weasel.Postgresql.Tables;

namespace EventStore.Api.Persistence;

/// <summary>Secrets the service generates for itself and shares between its nodes (the cursor signing key).</summary>
public static class ServiceSecrets
{
    public static readonly Weasel.Postgresql.PostgresqlObjectName Table = EventStoreSchema.TableNamed("service_secrets");

    public static Table Definition()
    {
        var table = new Table(Table);
        table.AddColumn<string>("name").NotNull().AsPrimaryKey();
        table.AddColumn("secret", "bytea").NotNull();
        return table;
    }
}
