using System.Text.RegularExpressions;

namespace EventStore.Api.Tests.Docs;

/// <summary>A fenced block of a document: its label (what follows the fence) and where it starts.</summary>
public sealed record FencedBlock(string Document, int Line, string Label, IReadOnlyList<string> Lines);

/// <summary>
/// One command of an <c>sh</c> block, exactly as written (continuation lines joined by their backslash and newline, so
/// the shell reads what a reader would paste), and its <see cref="Key"/>: the first line without its comment.
/// </summary>
public sealed partial record DocumentedCommand(string Document, int Line, string Text)
{
    public string Key => Comment().Replace(Text.Split('\n')[0], "").TrimEnd('\\').Trim();

    public override string ToString() => $"{Document}:{Line}: {Key}";

    [GeneratedRegex(@"\s+#\s.*$")]
    private static partial Regex Comment();
}

/// <summary>The fenced blocks and commands of README.md, CONTRIBUTING.md and docs/**/*.md.</summary>
public static partial class DocumentedCommands
{
    /// <summary>The label that makes a block's lines commands; the others say what else a block is.</summary>
    public const string Commands = "sh";

    public static readonly string[] OtherLabels = ["text", "json", "yaml", "promql", "html", "js", "csharp", "python", "ruby", "sql"];

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

    /// <summary>README.md, CONTRIBUTING.md, then the documents under docs/, by path: their names relative to the repository.</summary>
    public static IReadOnlyList<string> Documents()
    {
        var root = RepositoryRoot();
        return ["README.md", "CONTRIBUTING.md", .. Directory.GetFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path)).Order(StringComparer.Ordinal)];
    }

    public static IReadOnlyList<FencedBlock> Blocks(string document)
    {
        var blocks = new List<FencedBlock>();
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), document));
        for (var i = 0; i < lines.Length; i++)
        {
            var opening = Fence().Match(lines[i]);
            if (!opening.Success)
            {
                continue;
            }

            var fence = opening.Groups["fence"].Value;
            var body = new List<string>();
            var start = i;
            for (i++; i < lines.Length && lines[i].Trim() != fence; i++)
            {
                body.Add(lines[i]);
            }

            blocks.Add(new FencedBlock(document, start + 1, opening.Groups["label"].Value.Trim(), body));
        }

        return blocks;
    }

    /// <summary>The commands of every <c>sh</c> block of <paramref name="document"/>, in order.</summary>
    public static IReadOnlyList<DocumentedCommand> Of(string document)
    {
        var commands = new List<DocumentedCommand>();
        foreach (var block in Blocks(document).Where(block => block.Label == Commands))
        {
            for (var i = 0; i < block.Lines.Count; i++)
            {
                var line = block.Lines[i];
                if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
                {
                    continue;
                }

                var start = i;
                var text = line;
                while (text.EndsWith('\\') && i + 1 < block.Lines.Count)
                {
                    text += "\n" + block.Lines[++i];
                }

                commands.Add(new DocumentedCommand(document, block.Line + 1 + start, text));
            }
        }

        return commands;
    }

    [GeneratedRegex(@"^\s*(?<fence>```+|~~~+)(?<label>.*)$")]
    private static partial Regex Fence();
}
