using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace EventStore.Api.Tests.Infrastructure;

/// <summary>Populations, tokens and scenarios that every test of a class reads, made once per fixture.</summary>
public static class Seeding
{
    private static readonly ConditionalWeakTable<ApiFixture, ConcurrentDictionary<string, Lazy<Task<object?>>>> Made = [];

    /// <summary>
    /// Runs <paramref name="make"/> once per fixture (one database per test class) and <paramref name="key"/>, however
    /// many tests ask, so every test of a class reads the same result.
    /// </summary>
    public static async Task<T> Once<T>(this ApiFixture api, string key, Func<Task<T>> make) =>
        (T)(await Made.GetValue(api, _ => new ConcurrentDictionary<string, Lazy<Task<object?>>>(StringComparer.Ordinal))
            .GetOrAdd(key, _ => new Lazy<Task<object?>>(async () => await make()))
            .Value)!;

    /// <summary>Runs <paramref name="seed"/> once per fixture, so every test of a class reads the same population.</summary>
    public static Task SeedOnce(this ApiFixture api, Func<Task> seed) =>
        api.Once("population", async () =>
        {
            await seed();
            return true;
        });
}
