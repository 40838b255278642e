using EventStore.Api.Hosting;
using JasperFx;
using JasperFx.CommandLine;
using Weasel.Core;
using Weasel.Core.Migrations;

namespace EventStore.Api.Persistence;

public sealed class DatabasePatchInput : ServiceInput
{
    [Description("File to write the migration SQL to (relative to the current directory); its rollback goes beside it, as <name>.drop.sql")]
    public string File { get; set; } = "";
}

/// <summary>
/// <c>db-apply</c>, <c>db-assert</c> and <c>db-patch &lt;file&gt;</c>: the service's schema (Marten's event store and
/// documents, the read models, and the tables Wolverine's Marten integration keeps, all in the schema
/// <c>eventstore</c>) applied, checked or written out, for every part at once. Weasel does the work; these commands
/// only spare the operator its choice of database (one physical database here) and its banner.
/// </summary>
public static class DatabaseCommands
{
    /// <summary>Every part of the schema the service's configuration defines (Weasel's databases).</summary>
    public static async Task<IReadOnlyList<IDatabase>> DatabasesAsync(IServiceProvider services)
    {
        var databases = services.GetServices<IDatabase>().ToList();
        foreach (var source in services.GetServices<IDatabaseSource>())
        {
            databases.AddRange(await source.BuildDatabases());
        }

        return databases;
    }
}

[Description("Creates or migrates the database schema", Name = "db-apply")]
public sealed class DatabaseApplyCommand : ServiceCommand<ServiceInput>
{
    protected override async Task<bool> Execute(ServiceInput input, IServiceProvider services)
    {
        var changed = false;
        foreach (var database in await DatabaseCommands.DatabasesAsync(services))
        {
            changed |= await database.ApplyAllConfiguredChangesToDatabaseAsync() != SchemaPatchDifference.None;
        }

        Console.WriteLine(changed ? "The schema was created or migrated." : "The schema was already up to date.");
        return true;
    }
}

[Description("Checks the database schema: exit code 1 and the differences when it is not what this version expects", Name = "db-assert")]
public sealed class DatabaseAssertCommand : ServiceCommand<ServiceInput>
{
    protected override async Task<bool> Execute(ServiceInput input, IServiceProvider services)
    {
        var differences = new List<string>();
        foreach (var database in await DatabaseCommands.DatabasesAsync(services))
        {
            try
            {
                await database.AssertDatabaseMatchesConfigurationAsync();
            }
            catch (DatabaseValidationException e)
            {
                differences.Add(e.Message);
            }
        }

        if (differences.Count > 0)
        {
            return Fail($"The database is not what this version expects (db-apply migrates it, db-patch writes the SQL):{Environment.NewLine}{string.Join(Environment.NewLine, differences)}");
        }

        Console.WriteLine("The database matches this version's schema.");
        return true;
    }
}

[Description("Writes the migration SQL to a file for review instead of running it", Name = "db-patch")]
public sealed class DatabasePatchCommand : ServiceCommand<DatabasePatchInput>
{
    public DatabasePatchCommand()
    {
        Usage("Write the migration SQL, and its rollback beside it").Arguments(x => x.File);
    }

    protected override async Task<bool> Execute(DatabasePatchInput input, IServiceProvider services)
    {
        var migrations = new List<(IDatabase Database, SchemaMigration Migration)>();
        foreach (var database in await DatabaseCommands.DatabasesAsync(services))
        {
            var migration = await database.CreateMigrationAsync();
            if (migration.Difference != SchemaPatchDifference.None)
            {
                migration.AssertPatchingIsValid(AutoCreate.CreateOrUpdate);
                migrations.Add((database, migration));
            }
        }

        if (migrations.Count == 0)
        {
            Console.WriteLine("No differences between the database and this version's schema: nothing to write.");
            return true;
        }

        var file = Path.GetFullPath(input.File);
        await WriteAsync(file, migrations, (migration, rules, writer) =>
        {
            if (migration.Schemas.Length > 0)
            {
                rules.WriteSchemaCreationSql(migration.Schemas, writer);
            }

            migration.WriteAllUpdates(writer, rules, AutoCreate.All);
        });
        var drop = SchemaMigration.ToDropFileName(file);
        await WriteAsync(drop, migrations, (migration, rules, writer) => migration.WriteAllRollbacks(writer, rules));
        Console.WriteLine($"Wrote the migration to {file} and its rollback to {drop}.");
        return true;
    }

    private static async Task WriteAsync(string file, List<(IDatabase Database, SchemaMigration Migration)> migrations, Action<SchemaMigration, Migrator, TextWriter> write)
    {
        await using var writer = new StreamWriter(file);
        foreach (var (database, migration) in migrations)
        {
            database.Migrator.WriteScript(writer, (rules, w) => write(migration, rules, w));
        }
    }
}
