using System.Reflection;
using System.Runtime.CompilerServices;

namespace EventStore;

/// <summary>How long a test may run before it fails as timed out, so that a regression that hangs fails fast instead of hanging CI.</summary>
public static class TestTimeouts
{
    /// <summary>Every test, unless it says otherwise: ten times what the slowest ordinary test takes on a loaded 2-core machine.</summary>
    public const int Default = 60_000;

    /// <summary>A test that plays a whole scenario (processes started and killed, outages, loads of many seconds).</summary>
    public const int Scenario = 300_000;
}

/// <summary>
/// xunit's <c>[Fact]</c> with <see cref="TestTimeouts.Default"/> unless a Timeout is given. Declared in the
/// namespace every test project's namespaces live in, so that a plain <c>[Fact]</c> in them means this one:
/// xunit v3 has no assembly-wide timeout, and no test may depend on remembering one.
/// </summary>
public sealed class FactAttribute : Xunit.FactAttribute
{
    public FactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber) => Timeout = TestTimeouts.Default;
}

/// <summary>xunit's <c>[Theory]</c> with <see cref="TestTimeouts.Default"/> per row unless a Timeout is given (see <see cref="FactAttribute"/>).</summary>
public sealed class TheoryAttribute : Xunit.TheoryAttribute
{
    public TheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber) => Timeout = TestTimeouts.Default;
}

public sealed class when_a_test_is_declared
{
    [Fact]
    public void every_test_of_the_assembly_has_a_timeout()
    {
        var unbounded = typeof(when_a_test_is_declared).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .SelectMany(method => method.GetCustomAttributes<Xunit.FactAttribute>().Where(fact => fact.Timeout <= 0).Select(_ => $"{method.DeclaringType!.FullName}.{method.Name}"))
            .ToList();

        unbounded.ShouldBeEmpty("every test needs a timeout: write [Fact] / [Theory] inside the EventStore namespace, or give Timeout");
    }
}
