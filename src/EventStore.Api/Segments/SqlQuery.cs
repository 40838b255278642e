using System.Text;
using Npgsql;

namespace EventStore.Api.Segments;

/// <summary>One SQL statement with its positional parameters ($1, $2, ...): values never enter the text.</summary>
internal sealed record SqlQuery(string Text, IReadOnlyList<object> Parameters)
{
    public NpgsqlBatchCommand ToBatchCommand()
    {
        var command = new NpgsqlBatchCommand(Text);
        foreach (var value in Parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    public NpgsqlCommand ToCommand(NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand(Text, connection);
        foreach (var value in Parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}

/// <summary>Builds a <see cref="SqlQuery"/>: text is appended, values become numbered parameters.</summary>
internal sealed class SqlBuilder
{
    private readonly StringBuilder text = new();
    private readonly List<object> parameters = [];

    public SqlBuilder Append(string sql)
    {
        text.Append(sql);
        return this;
    }

    /// <summary>Adds a value and returns its placeholder, to be used (once or more) in the text.</summary>
    public string Parameter(object value)
    {
        parameters.Add(value);
        return "$" + parameters.Count;
    }

    public SqlQuery Build() => new(text.ToString(), [.. parameters]);
}
