using System.Runtime.CompilerServices;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>Populations that every test of a class reads, seeded once per fixture.</summary>
public static class Seeding
{
    private static readonly ConditionalWeakTable<ApiFixture, Task> Seeded = [];

    /// <summary>
    /// Runs <paramref name="seed"/> once per fixture (one database per test class), however many tests ask,
    /// so every test of a class reads the same population.
    /// </summary>
    public static Task SeedOnce(this ApiFixture api, Func<Task> seed)
    {
        lock (Seeded)
        {
            if (!Seeded.TryGetValue(api, out var task))
            {
                task = seed();
                Seeded.Add(api, task);
            }

            return task;
        }
    }
}
