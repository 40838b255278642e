using System.Collections.Concurrent;
using EventStore.Api.Errors;

namespace EventStore.Api.Protection;

/// <summary>
/// At most N requests of one kind in flight per workspace (bulk uploads, exports), so that one workspace's slow
/// or numerous requests can only ever hold that many of the service's shared resources. Workspaces come from
/// authenticated tokens, so the number of gates is bounded by configuration.
/// </summary>
public sealed class WorkspaceConcurrency(int limit)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public int Limit { get; } = Math.Max(1, limit);

    /// <summary>A slot of the workspace (dispose it to give it back), or null when none came free within <paramref name="wait"/>.</summary>
    public async Task<IDisposable?> EnterAsync(string workspace, TimeSpan wait, CancellationToken cancellation)
    {
        var gate = gates.GetOrAdd(workspace, _ => new SemaphoreSlim(Limit));
        return await gate.WaitAsync(wait, cancellation) ? new Slot(gate) : null;
    }

    /// <summary>The 429 for a workspace that has <see cref="Limit"/> requests of this kind in flight already.</summary>
    public IResult TooMany(HttpContext context, string what)
    {
        context.Response.Headers.RetryAfter = "1";
        return ErrorList.Result(context, StatusCodes.Status429TooManyRequests,
            new ApiError(RateLimits.Code, $"This workspace already has {Limit} {what} in progress; retry when one has finished"));
    }

    private sealed class Slot(SemaphoreSlim gate) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
