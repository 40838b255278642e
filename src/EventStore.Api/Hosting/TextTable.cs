namespace EventStore.Api.Hosting;

/// <summary>
/// A command's table: a header line of column names, then one line per row, columns aligned with spaces and never
/// wrapped (whatever the terminal's width), so that <c>grep</c>, <c>awk</c> and people read it alike.
/// </summary>
public static class TextTable
{
    public static void Write(TextWriter output, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var lines = rows.Prepend(header).ToList();
        var widths = header.Select((_, column) => lines.Max(line => line[column].Length) + 2).ToList();
        foreach (var line in lines)
        {
            output.WriteLine(string.Concat(line.Select((cell, column) => column == line.Count - 1 ? cell : cell.PadRight(widths[column]))).TrimEnd());
        }
    }
}
