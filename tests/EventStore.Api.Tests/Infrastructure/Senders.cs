namespace EventStore.Api.Tests.Infrastructure;

/// <summary>
/// Clients that each repeat a request until they are stopped: disposing stops them, waits for the requests in
/// flight and surfaces any client's failure.
/// </summary>
public sealed class Senders : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> clients;

    private Senders(int count, Func<Task> send) =>
        clients = [.. Enumerable.Range(0, count).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await send();
            }
        }))];

    public static Senders Start(int count, Func<Task> send) => new(count, send);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(clients);
        }
        finally
        {
            stop.Dispose();
        }
    }
}
