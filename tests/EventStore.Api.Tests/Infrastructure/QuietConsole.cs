using System.Runtime.CompilerServices;
using Spectre.Console;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// Every host the fixtures start has JasperFx list the assemblies it searches for commands on the console. The
/// test platform prints the whole console of a failed run after the results, so fifty hosts' worth of those lines
/// pushed the name of a failing test out of the CI log's tail. Tests assert on the command line's output through
/// a process of its own (<see cref="CommandLine"/>), so nothing is lost by silencing it in the test process.
/// </summary>
internal static class QuietConsole
{
    [ModuleInitializer]
    internal static void Silence() =>
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
}
